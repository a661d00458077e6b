using Siem.Engine.Pipeline;
using Siem.Nats.JetStream;

namespace Siem.Host.Bench.Soak;

/// <summary>
/// The engine's streams (same names, subjects and limits as <see cref="EngineStreams"/>) with a replica count, so a
/// 3-node cluster gets R3 streams. Created before any engine starts: the engine only adds its durable consumer,
/// which inherits the stream's replicas.
/// </summary>
internal static class SoakStreams
{
    public static async Task EnsureAsync(NatsJSContext js, int replicas, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(js);
        await js.CreateOrUpdateStreamAsync(new StreamConfig(EngineStreams.Events, "siem.events.>")
        {
            Retention = RetentionPolicy.WorkQueue,
            Storage = StorageType.File,
            DuplicateWindow = TimeSpan.FromMinutes(2),
            Replicas = replicas,
        }, cancellationToken).ConfigureAwait(false);
        await js.CreateOrUpdateStreamAsync(new StreamConfig(EngineStreams.Quarantine, "siem.quarantine.>")
        {
            Storage = StorageType.File,
            MaxAge = TimeSpan.FromDays(30),
            DuplicateWindow = TimeSpan.FromMinutes(2),
            Replicas = replicas,
        }, cancellationToken).ConfigureAwait(false);
        await js.CreateOrUpdateStreamAsync(new StreamConfig(EngineStreams.Alerts, "siem.alerts.>")
        {
            Storage = StorageType.File,
            MaxAge = TimeSpan.FromDays(30),
            DuplicateWindow = TimeSpan.FromMinutes(2),
            Replicas = replicas,
        }, cancellationToken).ConfigureAwait(false);
    }
}
