using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Siem.Engine.Alerts;

namespace Siem.Engine.Channels;

/// <summary>
/// Generic webhook: POSTs the alert document (<see cref="AlertJson"/>) as application/json. With a secret, the request
/// carries <c>X-Siem-Timestamp</c> (unix seconds) and <c>X-Siem-Signature: sha256=&lt;hex HMAC-SHA256(secret,
/// timestamp + "." + body)&gt;</c>, so the receiver can check origin and integrity and refuse old replays.
/// <c>X-Siem-Alert-Event</c> says new, update (the count grew) or resolve; <c>Idempotency-Key</c> is
/// <c>&lt;alert id&gt;:&lt;count&gt;</c> (<c>&lt;alert id&gt;:resolve</c>), the same on every retry and redelivery,
/// so a receiver that keeps the keys it has seen processes each alert state exactly once.
/// </summary>
public sealed class WebhookChannel : IResolvableAlertChannel
{
    public const string SignatureHeader = "X-Siem-Signature";
    public const string TimestampHeader = "X-Siem-Timestamp";
    public const string AlertIdHeader = "X-Siem-Alert-Id";
    public const string EventHeader = "X-Siem-Alert-Event";
    public const string IdempotencyKeyHeader = "Idempotency-Key";

    private readonly HttpClient _http;
    private readonly Uri _url;
    private readonly byte[]? _secret;
    private readonly TimeProvider _time;

    public WebhookChannel(string name, HttpClient http, Uri url, string? secret = null, TimeProvider? time = null)
    {
        Name = name;
        _http = http ?? throw new ArgumentNullException(nameof(http));
        _url = url ?? throw new ArgumentNullException(nameof(url));
        _secret = string.IsNullOrEmpty(secret) ? null : Encoding.UTF8.GetBytes(secret);
        _time = time ?? TimeProvider.System;
    }

    public string Name { get; }

    public Task DeliverAsync(AlertDocument alert, CancellationToken cancellationToken = default) => PostAsync(alert, "new", cancellationToken);

    public Task DeliverUpdateAsync(AlertDocument alert, CancellationToken cancellationToken = default) => PostAsync(alert, "update", cancellationToken);

    public Task ResolveAsync(AlertDocument alert, CancellationToken cancellationToken = default) => PostAsync(alert, "resolve", cancellationToken);

    /// <summary>The key a receiver deduplicates on: one per alert state (count) and one for its resolution.</summary>
    public static string IdempotencyKey(AlertDocument alert, string alertEvent)
    {
        ArgumentNullException.ThrowIfNull(alert);
        return alertEvent == "resolve" ? alert.AlertId + ":resolve" : alert.AlertId + ":" + alert.Count.ToString(CultureInfo.InvariantCulture);
    }

    private Task PostAsync(AlertDocument alert, string alertEvent, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(alert);
        var body = AlertJson.Serialize(alert);
        string timestamp = _time.GetUtcNow().ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        return HttpDelivery.PostJsonAsync(_http, Name, _url, body, request =>
        {
            request.Headers.Add(AlertIdHeader, alert.AlertId);
            request.Headers.Add(EventHeader, alertEvent);
            request.Headers.Add(IdempotencyKeyHeader, IdempotencyKey(alert, alertEvent));
            if (_secret == null) return;
            request.Headers.Add(TimestampHeader, timestamp);
            request.Headers.Add(SignatureHeader, "sha256=" + Sign(_secret, timestamp, body));
        }, cancellationToken);
    }

    /// <summary>hex(HMAC-SHA256(secret, timestamp + "." + body)), lower case; receivers compute the same and compare in constant time.</summary>
    public static string Sign(byte[] secret, string timestamp, ReadOnlySpan<byte> body)
    {
        ArgumentNullException.ThrowIfNull(timestamp);
        var prefix = Encoding.UTF8.GetBytes(timestamp + ".");
        var message = new byte[prefix.Length + body.Length];
        prefix.CopyTo(message, 0);
        body.CopyTo(message.AsSpan(prefix.Length));
        return Convert.ToHexStringLower(HMACSHA256.HashData(secret, message));
    }
}
