namespace Siem.Api.Auth;

/// <summary>Authorization policy names; each lists the roles it admits (admin is in every one).</summary>
internal static class ApiPolicies
{
    /// <summary>Alerts, triage, search, rules.</summary>
    public const string Analyst = "analyst";
    /// <summary>Purges and certificates.</summary>
    public const string Compliance = "compliance";
    /// <summary>Agents revocation, tokens.</summary>
    public const string Admin = "admin";
    /// <summary>Any signed-in person: health, metrics, lineage of an alert (pseudonymous ids only).</summary>
    public const string AnyRole = "any-role";
}
