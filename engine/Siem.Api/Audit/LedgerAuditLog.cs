using System.Globalization;
using Siem.Lineage.Audit;

namespace Siem.Api.Audit;

/// <summary>API writes go into the platform's hash-chained audit log (<c>&lt;data&gt;/audit/audit.jsonl</c>), next to purge steps.</summary>
public sealed class LedgerAuditLog(AuditLog log) : IApiAuditLog
{
    public AuditLog Log { get; } = log ?? throw new ArgumentNullException(nameof(log));

    public async ValueTask WriteAsync(ApiAuditEntry entry, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(entry);
        var details = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["via"] = "api",
            ["role"] = entry.Role,
            ["status"] = entry.Status.ToString(CultureInfo.InvariantCulture),
        };
        if (entry.Detail != null) details["detail"] = entry.Detail;
        await Log.AppendAsync(entry.Actor, entry.Action, entry.Target, details, cancellationToken);
    }
}
