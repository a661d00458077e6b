using System.Globalization;
using System.IO.Compression;
using System.Text.Json;
using Siem.Nats;
using Siem.Nats.JetStream;

namespace Siem.Engine.ScaleOut;

/// <summary>
/// Saved state of each correlation partition in a KV bucket (key <c>p&lt;n&gt;</c>): the correlation engine's windows,
/// the partition's open (suppressed) correlation alerts and the SIEM_CORR sequence they include, gzipped JSON.
/// A snapshot is only ever taken after the alerts it implies were indexed, so the engine that takes a partition over
/// restores it and replays the contributions after its sequence; replaying the same contributions in the same order
/// gives the same windows and the same alert ids, so nothing is lost or counted twice. Any engine may overwrite any
/// partition's snapshot with its own at an equal or older sequence during a rebalance: that only lengthens the replay.
/// Saves never leave the replaced snapshot on disk: the bucket keeps two revisions per key, so the previous one is
/// still stored when a put returns, and is then deleted with erase (the server overwrites its bytes); a bucket that
/// kept one revision would drop it on the put, and nats-server removes messages over a limit without overwriting them.
/// </summary>
internal sealed class PartitionStateStore(NatsJSContext js, NatsKVStore kv, int partitions, Action<string> log, bool canErase = true)
{
    private const int Version = 1;

    /// <summary>The replaced revision stays stored until the save that replaced it erased it.</summary>
    internal const int History = 2;

    public static async Task<PartitionStateStore> OpenAsync(NatsJSContext js, ScaleOutOptions options, Action<string> log, CancellationToken cancellationToken)
    {
        var config = new KvConfig(options.StateBucket) { History = History, Replicas = options.Replicas, AllowMessageDelete = true };
        NatsKVStore kv;
        bool canErase = true;
        try
        {
            kv = await js.CreateKeyValueAsync(config, cancellationToken).ConfigureAwait(false);
        }
        catch (NatsJSApiException e) when (e.ErrCode == CannotAllowDelete)
        {
            // A bucket made before purges erased snapshots: it keeps working; replaced snapshots are only marked deleted.
            log($"{config.Bucket} denies message deletes (made by an earlier version): replaced partition snapshots cannot be erased on disk until the bucket is recreated");
            kv = await js.CreateKeyValueAsync(config with { AllowMessageDelete = false, History = 1 }, cancellationToken).ConfigureAwait(false);
            canErase = false;
        }
        return new PartitionStateStore(js, kv, options.Partitions, log, canErase);
    }

    /// <summary>JetStream err_code: a stream update cannot cancel deny_delete.</summary>
    private const int CannotAllowDelete = 10052;

    /// <summary>JetStream err_code: the stream denies message deletes.</summary>
    internal const int DeleteNotPermitted = 10057;

    /// <summary>Snapshots that could not be saved because they exceed the broker's payload limit (the partition replays further instead).</summary>
    public long TooLarge { get; private set; }

    public async Task<PartitionSnapshot?> LoadAsync(int partition, CancellationToken cancellationToken)
    {
        var entry = await kv.GetAsync(Key(partition), cancellationToken).ConfigureAwait(false);
        if (entry is null) return null;
        try
        {
            using var gzip = new GZipStream(new MemoryStream(entry.Value.ToArray()), CompressionMode.Decompress);
            using var doc = await JsonDocument.ParseAsync(gzip, cancellationToken: cancellationToken).ConfigureAwait(false);
            var root = doc.RootElement;
            if (root.GetProperty("version").GetInt32() != Version)
                throw new InvalidDataException($"version {root.GetProperty("version")} (expected {Version})");
            if (root.GetProperty("partitions").GetInt32() != partitions)
            {
                log($"partition {partition}: the saved state was made for {root.GetProperty("partitions")} partitions, not {partitions}; starting this partition empty");
                return null;
            }
            return new PartitionSnapshot(
                root.GetProperty("seq").GetUInt64(),
                JsonSerializer.SerializeToUtf8Bytes(root.GetProperty("correlation")),
                JsonSerializer.SerializeToUtf8Bytes(root.GetProperty("suppression")));
        }
        catch (Exception ex) when (ex is InvalidDataException or JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            log($"partition {partition}: saved state in {kv.Bucket}/{Key(partition)} is unreadable ({ex.Message}); replaying the partition from the start of SIEM_CORR");
            return null;
        }
    }

    /// <summary>Saves a snapshot; false when it is too large for the broker (counted and logged).</summary>
    public async Task<bool> SaveAsync(int partition, PartitionSnapshot snapshot, CancellationToken cancellationToken)
    {
        using var buffer = new MemoryStream();
        using (var gzip = new GZipStream(buffer, CompressionLevel.Fastest, leaveOpen: true))
        using (var w = new Utf8JsonWriter(gzip))
        {
            w.WriteStartObject();
            w.WriteNumber("version", Version);
            w.WriteNumber("partitions", partitions);
            w.WriteNumber("partition", partition);
            w.WriteNumber("seq", snapshot.Sequence);
            w.WritePropertyName("correlation");
            w.WriteRawValue(snapshot.Correlation, skipInputValidation: true);
            w.WritePropertyName("suppression");
            w.WriteRawValue(snapshot.Suppression, skipInputValidation: true);
            w.WriteEndObject();
        }
        try
        {
            ulong revision = await kv.PutAsync(Key(partition), buffer.ToArray(), cancellationToken).ConfigureAwait(false);
            Erased += await EraseOlderRevisionsAsync(js, kv.StreamName, "$KV." + kv.Bucket + "." + Key(partition), revision, canErase, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (NatsPayloadTooLargeException)
        {
            TooLarge++;
            log($"partition {partition}: state snapshot of {buffer.Length} bytes exceeds the broker's max_payload; keeping the previous one (a takeover replays further)");
            return false;
        }
    }

    /// <summary>Replaced snapshots erased on disk by saves.</summary>
    public long Erased { get; private set; }

    /// <summary>
    /// Erases every revision of <paramref name="subject"/> older than <paramref name="revision"/> (the server overwrites
    /// the message's bytes): what a save or a purge replaced. Revisions saved by other engines meanwhile count too; the
    /// newest is never touched. Returns how many were erased; none when the bucket denies deletes.
    /// </summary>
    internal static async Task<int> EraseOlderRevisionsAsync(NatsJSContext js, string stream, string subject, ulong revision, bool canErase, CancellationToken cancellationToken)
    {
        if (!canErase) return 0;
        int erased = 0;
        ulong from = 1;
        while (from < revision && await js.GetNextMsgForSubjectAsync(stream, subject, from, cancellationToken).ConfigureAwait(false) is { } older && older.Seq < revision)
        {
            try
            {
                await js.DeleteMsgAsync(stream, older.Seq, erase: true, cancellationToken).ConfigureAwait(false);
                erased++;
            }
            catch (NatsJSApiException e) when (e.ErrCode == NoMessageFound)
            {
                // Erased meanwhile by another engine's save of the same partition.
            }
            from = older.Seq + 1;
        }
        return erased;
    }

    /// <summary>JetStream err_code: no message found.</summary>
    private const int NoMessageFound = 10037;

    internal static string Key(int partition) => "p" + partition.ToString(CultureInfo.InvariantCulture);
}
