namespace Siem.Api.Audit;

/// <summary>
/// Where API writes are audited. A failed audit write fails the request (audit paths propagate errors).
/// The default is <see cref="LedgerAuditLog"/> (the platform audit log); tests may plug in their own.
/// </summary>
public interface IApiAuditLog
{
    ValueTask WriteAsync(ApiAuditEntry entry, CancellationToken cancellationToken = default);
}
