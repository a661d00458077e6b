using Siem.Core.Security;

namespace Siem.Host.Certs;

/// <summary>An agent the broker admits: it publishes only on <c>siem.events.&lt;tenant&gt;.&lt;id&gt;</c>.</summary>
internal readonly record struct AgentName(string Tenant, string Id)
{
    /// <summary>Parses <c>tenant/id</c>, or a bare <c>id</c> in <paramref name="defaultTenant"/>. Both must be single
    /// NATS subject tokens (letters, digits, '-' and '_').</summary>
    public static AgentName Parse(string text, string defaultTenant)
    {
        ArgumentNullException.ThrowIfNull(text);
        var parts = text.Trim().Split('/');
        var name = parts.Length switch
        {
            1 => new AgentName(defaultTenant, parts[0]),
            2 => new AgentName(parts[0], parts[1]),
            _ => throw new ArgumentException($"agent '{text}': expected tenant/id or id"),
        };
        CheckToken(name.Tenant, "tenant", text);
        CheckToken(name.Id, "agent id", text);
        return name;
    }

    /// <summary>File stem of the agent's key material: <c>tenant.id</c> ('.' cannot occur in either part).</summary>
    public string FileStem => $"{Tenant}.{Id}";

    public string EventsSubject => EnrollmentMessages.EventsSubject(Tenant, Id);

    /// <summary>The reply-inbox prefix the agent must use (<c>NatsOpts.InboxPrefix</c>); its permissions allow only this.</summary>
    /// <summary>The agent's key requests (which engine key to seal to, identity rotation).</summary>
    public string KeysSubjects => AgentKeyMessages.AgentSubjects(Tenant, Id);

    public string InboxPrefix => EnrollmentMessages.AgentInboxPrefix(Tenant, Id);

    public override string ToString() => $"{Tenant}/{Id}";

    private static void CheckToken(string value, string what, string text)
    {
        if (value.Length == 0 || value.Length > 64 || !value.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_'))
            throw new ArgumentException($"agent '{text}': {what} '{value}' must be 1-64 letters, digits, '-' or '_'");
    }
}
