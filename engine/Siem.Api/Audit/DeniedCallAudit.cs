using System.Globalization;
using System.Security.Claims;
using Microsoft.AspNetCore.Http;
using Siem.Api.Auth;

namespace Siem.Api.Audit;

/// <summary>
/// Audits refused calls (401, 403) without letting an anonymous flood grow the audit log without limit: per minute the
/// first <see cref="ItemisedPerMinute"/> refusals get a line each (action <c>api.denied</c>: who if known, method and
/// path without the query, the reason, the client address); the rest are only counted, and one <c>api.denied.summary</c>
/// line per minute says how many were not itemised, by status, from how many addresses. So a flood adds at most
/// 21 lines a minute. Nothing secret is written: the Authorization header is never read here, only the reason the
/// authentication handler gave (e.g. "the token was revoked").
/// </summary>
internal sealed class DeniedCallAudit(IApiAuditLog log, TimeProvider time) : IAsyncDisposable
{
    public const int ItemisedPerMinute = 20;
    public const string ReasonKey = "siem.denied.reason";
    private const int MaxAddressesCounted = 1000;
    private static readonly TimeSpan Window = TimeSpan.FromMinutes(1);

    private readonly object _gate = new();
    private readonly HashSet<string> _addresses = new(StringComparer.Ordinal);
    private DateTimeOffset _windowStart = DateTimeOffset.MinValue;
    private int _itemised;
    private long _unitemised401, _unitemised403;

    /// <summary>Called after the response for every 401/403 under <c>/api</c>.</summary>
    public async Task RecordAsync(HttpContext http, CancellationToken cancellationToken = default)
    {
        int status = http.Response.StatusCode;
        string address = http.Connection.RemoteIpAddress?.ToString() ?? "unknown";
        ApiAuditEntry? summary, itemised = null;
        lock (_gate)
        {
            var now = time.GetUtcNow();
            summary = now - _windowStart >= Window ? TakeSummary(now) : null;
            if (summary != null || _windowStart == DateTimeOffset.MinValue) _windowStart = now;
            if (_itemised < ItemisedPerMinute)
            {
                _itemised++;
                itemised = Itemise(http, status, address, now);
            }
            else
            {
                if (status == StatusCodes.Status401Unauthorized) _unitemised401++; else _unitemised403++;
                if (_addresses.Count < MaxAddressesCounted) _addresses.Add(address);
            }
        }
        if (summary != null) await log.WriteAsync(summary, cancellationToken).ConfigureAwait(false);
        if (itemised != null) await log.WriteAsync(itemised, cancellationToken).ConfigureAwait(false);
    }

    private static ApiAuditEntry Itemise(HttpContext http, int status, string address, DateTimeOffset now)
    {
        var user = http.User;
        string actor = user.FindFirstValue(BearerAuthenticationHandler.ActorClaim) ?? "anonymous";
        string role = string.Join(",", user.FindAll(ClaimTypes.Role).Select(c => c.Value));
        string reason = http.Items.TryGetValue(ReasonKey, out var r) && r is string s ? s : "no credentials";
        return new ApiAuditEntry(now, actor, role, "api.denied", $"{http.Request.Method} {http.Request.Path}", status,
            $"reason: {reason}; client: {address}");
    }

    /// <summary>The counts of the window that ended (null when everything in it was itemised); starts a new window.</summary>
    private ApiAuditEntry? TakeSummary(DateTimeOffset now)
    {
        ApiAuditEntry? summary = null;
        long total = _unitemised401 + _unitemised403;
        if (total > 0)
        {
            string addresses = _addresses.Count >= MaxAddressesCounted ? $"at least {MaxAddressesCounted}" : _addresses.Count.ToString(CultureInfo.InvariantCulture);
            summary = new ApiAuditEntry(now, "api", "", "api.denied.summary",
                string.Create(CultureInfo.InvariantCulture, $"{_windowStart:O}/{now:O}"), 0,
                string.Create(CultureInfo.InvariantCulture, $"{total} refused calls not itemised (401: {_unitemised401}, 403: {_unitemised403}) from {addresses} client addresses; {_itemised} itemised above"));
        }
        _itemised = 0;
        _unitemised401 = _unitemised403 = 0;
        _addresses.Clear();
        return summary;
    }

    /// <summary>At shutdown the last window's counts are written, so a flood just before a stop is not lost.</summary>
    public async ValueTask DisposeAsync()
    {
        ApiAuditEntry? summary;
        lock (_gate) summary = TakeSummary(time.GetUtcNow());
        if (summary != null) await log.WriteAsync(summary).ConfigureAwait(false);
    }
}
