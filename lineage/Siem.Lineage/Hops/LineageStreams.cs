using Siem.Nats.JetStream;

namespace Siem.Lineage.Hops;

/// <summary>
/// The lineage stream: hops on <c>siem.lineage.batch|alert|delivery</c> kept in <see cref="Stream"/> (work queue: a hop
/// is gone once the ledger consumer stored and acked it) with a 2-minute duplicate window for <c>Nats-Msg-Id</c>.
/// </summary>
public static class LineageStreams
{
    public const string Stream = "SIEM_LINEAGE";
    public const string BatchSubject = "siem.lineage.batch";
    public const string AlertSubject = "siem.lineage.alert";
    public const string DeliverySubject = "siem.lineage.delivery";
    public const string LedgerDurable = "siem-lineage-ledger";

    public static Task EnsureAsync(NatsJSContext js, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(js);
        return js.EnsureStreamAsync(new StreamConfig(Stream, "siem.lineage.>")
        {
            Retention = RetentionPolicy.WorkQueue,
            Storage = StorageType.File,
            DuplicateWindow = TimeSpan.FromMinutes(2),
        }, cancellationToken);
    }
}
