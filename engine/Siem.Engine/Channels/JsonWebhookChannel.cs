using Siem.Engine.Alerts;

namespace Siem.Engine.Channels;

/// <summary>
/// A channel that POSTs one JSON document per alert to a secret webhook URL (Slack, Teams): subclasses only say
/// what the document looks like. 4xx is permanent, 429 and 5xx are retried; the URL never appears in messages.
/// </summary>
public abstract class JsonWebhookChannel : IAlertChannel
{
    private readonly HttpClient _http;
    private readonly Uri _url;

    protected JsonWebhookChannel(string name, HttpClient http, Uri url)
    {
        Name = name;
        _http = http ?? throw new ArgumentNullException(nameof(http));
        _url = url ?? throw new ArgumentNullException(nameof(url));
    }

    public string Name { get; }

    public Task DeliverAsync(AlertDocument alert, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(alert);
        return HttpDelivery.PostJsonAsync(_http, Name, _url, BuildPayload(alert), null, cancellationToken);
    }

    /// <summary>Posts an "update" message (the count grew); how often is limited per alert by the durable delivery.</summary>
    public Task DeliverUpdateAsync(AlertDocument alert, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(alert);
        return HttpDelivery.PostJsonAsync(_http, Name, _url, BuildUpdatePayload(alert), null, cancellationToken);
    }

    protected abstract byte[] BuildPayload(AlertDocument alert);

    protected abstract byte[] BuildUpdatePayload(AlertDocument alert);
}
