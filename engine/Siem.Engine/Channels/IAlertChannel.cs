using Siem.Engine.Alerts;

namespace Siem.Engine.Channels;

/// <summary>Delivers one alert somewhere people look. Throws <see cref="AlertDeliveryException"/> on failure.</summary>
public interface IAlertChannel
{
    /// <summary>A name for logs and dead letters; never the URL (webhook URLs are secrets).</summary>
    string Name { get; }

    Task DeliverAsync(AlertDocument alert, CancellationToken cancellationToken = default);

    /// <summary>
    /// Tells the channel that repeats folded into an alert it already has (a higher <see cref="AlertDocument.Count"/>).
    /// By default the alert is delivered again; channels that can update in place (PagerDuty: same dedup_key) or
    /// mark the message as an update override this.
    /// </summary>
    Task DeliverUpdateAsync(AlertDocument alert, CancellationToken cancellationToken = default) => DeliverAsync(alert, cancellationToken);
}
