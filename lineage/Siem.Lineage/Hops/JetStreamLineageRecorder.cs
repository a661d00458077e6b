using System.Security.Cryptography;
using Siem.Nats;
using Siem.Nats.JetStream;

namespace Siem.Lineage.Hops;

/// <summary>
/// Publishes hops to <see cref="LineageStreams.Stream"/> and returns only after JetStream confirmed them (PubAck), so the
/// engine can ack the event message knowing the lineage is durable. Each hop carries a <c>Nats-Msg-Id</c> derived from
/// what it describes (the event message's stream/seq for a batch, the content for alerts and deliveries), so the hops of a
/// redelivered message are deduplicated by the broker; the ledger's writes are idempotent beyond the duplicate window.
/// A batch with many records is split into several hops of at most <see cref="MaxRecordsPerHop"/> records
/// (a hop must fit the server's max_payload). Publish failures propagate (the caller naks and retries).
/// </summary>
public sealed class JetStreamLineageRecorder : ILineageRecorder
{
    public const int MaxRecordsPerHop = 2000;
    private readonly NatsJSContext _js;

    public JetStreamLineageRecorder(NatsConnection connection)
    {
        ArgumentNullException.ThrowIfNull(connection);
        _js = new NatsJSContext(connection);
    }

    public async ValueTask RecordBatchAsync(BatchLineage batch, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(batch);
        string id = $"lineage-batch:{batch.Stream}:{batch.StreamSeq}";
        if (batch.Records.Count <= MaxRecordsPerHop)
        {
            await PublishAsync(LineageStreams.BatchSubject, LineageJson.Encode(batch), id, cancellationToken).ConfigureAwait(false);
            return;
        }
        for (int start = 0, part = 0; start < batch.Records.Count; start += MaxRecordsPerHop, part++)
        {
            var slice = batch with { Records = [.. batch.Records.Skip(start).Take(MaxRecordsPerHop)] };
            await PublishAsync(LineageStreams.BatchSubject, LineageJson.Encode(slice), $"{id}:{part}", cancellationToken).ConfigureAwait(false);
        }
    }

    public async ValueTask RecordAlertsAsync(IReadOnlyList<AlertLineage> alerts, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(alerts);
        foreach (var a in alerts)
        {
            var body = LineageJson.Encode(a);
            await PublishAsync(LineageStreams.AlertSubject, body, $"lineage-alert:{a.AlertId}:{ContentId(body)}", cancellationToken).ConfigureAwait(false);
        }
    }

    public async ValueTask RecordDeliveryAsync(DeliveryLineage delivery, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(delivery);
        var body = LineageJson.Encode(delivery);
        await PublishAsync(LineageStreams.DeliverySubject, body, $"lineage-delivery:{delivery.AlertId}:{ContentId(body)}", cancellationToken).ConfigureAwait(false);
    }

    private async Task PublishAsync(string subject, byte[] body, string msgId, CancellationToken cancellationToken) =>
        await _js.PublishAsync(subject, body, headers: null, msgId, cancellationToken).ConfigureAwait(false);

    private static string ContentId(byte[] body) => Convert.ToHexStringLower(SHA256.HashData(body).AsSpan(0, 12));
}
