namespace Siem.Core.Security;

/// <summary>
/// Agent ids and tenants become NATS subject tokens (<c>siem.events.&lt;tenant&gt;.&lt;agent&gt;</c>) and
/// <c>Nats-Msg-Id</c> prefixes, so they are restricted to a safe alphabet.
/// </summary>
public static class AgentIdValidator
{
    public const int MaxLength = 128;

    public static bool IsValid(string? id)
    {
        if (string.IsNullOrEmpty(id) || id.Length > MaxLength) return false;
        foreach (var c in id)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '-' or '_')) return false;
        }
        return true;
    }

    public static void Validate(string? id, string what = "agent id")
    {
        if (!IsValid(id))
            throw new ArgumentException($"invalid {what} '{id}': use 1-{MaxLength} characters from A-Z a-z 0-9 - _", nameof(id));
    }
}
