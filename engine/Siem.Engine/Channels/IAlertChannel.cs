using Siem.Engine.Alerts;

namespace Siem.Engine.Channels;

/// <summary>Delivers one alert somewhere people look. Throws <see cref="AlertDeliveryException"/> on failure.</summary>
public interface IAlertChannel
{
    /// <summary>A name for logs and dead letters; never the URL (webhook URLs are secrets).</summary>
    string Name { get; }

    Task DeliverAsync(AlertDocument alert, CancellationToken cancellationToken = default);
}
