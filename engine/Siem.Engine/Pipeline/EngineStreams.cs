using Siem.Nats.JetStream;

namespace Siem.Engine.Pipeline;

/// <summary>
/// Creates the streams the engine reads and writes when they are missing, and brings their subjects and limits up to
/// date. An existing stream keeps its replica count (<see cref="NatsJSContext.EnsureStreamAsync"/>): every engine
/// process runs this at start, and one with a different <c>replicas</c> must not move an operator's R3 streams.
/// </summary>
public static class EngineStreams
{
    public const string Events = "SIEM_EVENTS";
    public const string Quarantine = "SIEM_QUARANTINE";
    public const string Alerts = "SIEM_ALERTS";

    public static Task EnsureAsync(NatsJSContext js, CancellationToken cancellationToken = default) => EnsureAsync(js, replicas: 1, cancellationToken);

    /// <param name="replicas">Copies of a stream created now (3 on a 3-node cluster).</param>
    public static async Task EnsureAsync(NatsJSContext js, int replicas, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(js);
        ArgumentOutOfRangeException.ThrowIfLessThan(replicas, 1);
        await js.EnsureStreamAsync(new StreamConfig(Events, "siem.events.>")
        {
            Retention = RetentionPolicy.WorkQueue,
            Storage = StorageType.File,
            DuplicateWindow = TimeSpan.FromMinutes(2),
            Replicas = replicas,
        }, cancellationToken).ConfigureAwait(false);
        await js.EnsureStreamAsync(new StreamConfig(Quarantine, "siem.quarantine.>")
        {
            Storage = StorageType.File,
            MaxAge = TimeSpan.FromDays(30),
            DuplicateWindow = TimeSpan.FromMinutes(2),
            Replicas = replicas,
        }, cancellationToken).ConfigureAwait(false);
        await js.EnsureStreamAsync(new StreamConfig(Alerts, "siem.alerts.>")
        {
            Storage = StorageType.File,
            MaxAge = TimeSpan.FromDays(30),
            DuplicateWindow = TimeSpan.FromMinutes(2),
            Replicas = replicas,
        }, cancellationToken).ConfigureAwait(false);
    }
}
