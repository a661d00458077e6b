namespace Siem.Api.Auth;

/// <summary>
/// The roles a token or JWT carries. Analysts work with alerts, rules and search; compliance officers with purges,
/// lineage and certificates; admins with agents and tokens, and may do everything the other two can.
/// </summary>
public static class ApiRoles
{
    public const string Analyst = "analyst";
    public const string Compliance = "compliance";
    public const string Admin = "admin";

    public static readonly IReadOnlyList<string> All = [Analyst, Compliance, Admin];

    public static bool IsKnown(string? role) => role is Analyst or Compliance or Admin;
}
