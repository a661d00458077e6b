using Siem.Engine.Alerts;
using Siem.Nats;
using Siem.Nats.JetStream;

namespace Siem.Engine.Channels;

/// <summary>
/// Tells the durable alert delivery that an alert was closed (the API's triage close): a resolve notice on
/// <c>siem.alerts.resolved.&lt;level&gt;</c> in the alerts stream, so every channel that opened something for the alert
/// (a PagerDuty incident) resolves it — once, even if the notice is published twice.
/// </summary>
public sealed class AlertResolutionPublisher
{
    private readonly NatsJSContext _js;

    public AlertResolutionPublisher(NatsConnection nats)
    {
        ArgumentNullException.ThrowIfNull(nats);
        _js = new NatsJSContext(nats);
    }

    public async Task PublishResolveAsync(AlertDocument alert, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(alert);
        await PublishAsync(_js, alert, AlertNoticeHeaders.ResolveAction, cancellationToken).ConfigureAwait(false);
    }

    internal static Task<PubAck> PublishAsync(NatsJSContext js, AlertDocument alert, string action, CancellationToken cancellationToken)
    {
        var headers = new NatsHeaders { { AlertNoticeHeaders.Action, action }, { AlertNoticeHeaders.AlertId, alert.AlertId } };
        string level = alert.Level.ToLowerInvariant() is "informational" or "low" or "medium" or "high" or "critical" ? alert.Level.ToLowerInvariant() : "unknown";
        return js.PublishAsync($"{AlertNoticeHeaders.ResolvedSubjectPrefix}.{level}", AlertJson.Serialize(alert), headers, $"{alert.AlertId}:{action}", cancellationToken);
    }
}
