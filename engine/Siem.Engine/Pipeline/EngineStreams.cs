using Siem.Nats.JetStream;

namespace Siem.Engine.Pipeline;

/// <summary>Creates (or updates) the streams the engine reads and writes.</summary>
public static class EngineStreams
{
    public const string Events = "SIEM_EVENTS";
    public const string Quarantine = "SIEM_QUARANTINE";
    public const string Alerts = "SIEM_ALERTS";

    public static async Task EnsureAsync(NatsJSContext js, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(js);
        await js.CreateOrUpdateStreamAsync(new StreamConfig(Events, "siem.events.>")
        {
            Retention = RetentionPolicy.WorkQueue,
            Storage = StorageType.File,
            DuplicateWindow = TimeSpan.FromMinutes(2),
        }, cancellationToken).ConfigureAwait(false);
        await js.CreateOrUpdateStreamAsync(new StreamConfig(Quarantine, "siem.quarantine.>")
        {
            Storage = StorageType.File,
            MaxAge = TimeSpan.FromDays(30),
            DuplicateWindow = TimeSpan.FromMinutes(2),
        }, cancellationToken).ConfigureAwait(false);
        await js.CreateOrUpdateStreamAsync(new StreamConfig(Alerts, "siem.alerts.>")
        {
            Storage = StorageType.File,
            MaxAge = TimeSpan.FromDays(30),
            DuplicateWindow = TimeSpan.FromMinutes(2),
        }, cancellationToken).ConfigureAwait(false);
    }
}
