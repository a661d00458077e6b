namespace Siem.Api.Audit;

/// <summary>
/// Where API writes are audited. A failed audit write fails the request (audit paths propagate errors).
/// <see cref="JsonLinesAuditLog"/> is the default; the lineage audit log plugs in here.
/// </summary>
public interface IApiAuditLog
{
    ValueTask WriteAsync(ApiAuditEntry entry, CancellationToken cancellationToken = default);
}
