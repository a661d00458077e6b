using Siem.Nats;
using Siem.Nats.JetStream;

namespace Siem.Engine.Control;

/// <summary>The keys of a KV bucket that hold a value now, with when it was written (one ephemeral last-per-subject consumer).</summary>
internal static class KvListing
{
    public static async Task<List<(string Key, DateTimeOffset Created)>> LatestAsync(NatsJSContext js, string bucket, string prefix, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(js);
        var keys = new List<(string, DateTimeOffset)>();
        string stream = "KV_" + bucket, subjectPrefix = "$KV." + bucket + ".";
        if ((await js.GetStreamAsync(stream, cancellationToken).ConfigureAwait(false)).State.Messages == 0) return keys;
        var consumer = await js.CreateOrUpdateConsumerAsync(stream, new ConsumerConfig
        {
            DeliverPolicy = DeliverPolicy.LastPerSubject,
            AckPolicy = AckPolicy.None,
            FilterSubject = subjectPrefix + prefix + ">",
            InactiveThreshold = TimeSpan.FromSeconds(30),
            MemoryStorage = true,
        }, cancellationToken).ConfigureAwait(false);
        try
        {
            if (consumer.Info.NumPending == 0) return keys;
            while (true)
            {
                int received = 0;
                bool caughtUp = false;
                await foreach (var msg in consumer.FetchAsync(256, TimeSpan.FromSeconds(2), cancellationToken: cancellationToken).ConfigureAwait(false))
                {
                    received++;
                    var meta = msg.Metadata;
                    // A removed key leaves an empty marker (KV-Operation DEL/PURGE) as its last entry.
                    if (!msg.Data.IsEmpty) keys.Add((msg.Subject[subjectPrefix.Length..], meta.Timestamp));
                    if (meta.NumPending != 0) continue;
                    caughtUp = true;
                    break;
                }
                if (caughtUp || received == 0) break;
            }
        }
        finally
        {
            using var bounded = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            try { await js.DeleteConsumerAsync(stream, consumer.Name, bounded.Token).ConfigureAwait(false); }
            catch (Exception ex) when (ex is NatsException or OperationCanceledException) { } // it goes after its inactive threshold
        }
        return keys;
    }
}
