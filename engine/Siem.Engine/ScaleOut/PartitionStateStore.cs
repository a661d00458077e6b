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
/// </summary>
internal sealed class PartitionStateStore(NatsJSContext js, NatsKVStore kv, int partitions, Action<string> log)
{
    private const int Version = 1;

    public static async Task<PartitionStateStore> OpenAsync(NatsJSContext js, ScaleOutOptions options, Action<string> log, CancellationToken cancellationToken)
    {
        var config = new KvConfig(options.StateBucket) { History = 1, Replicas = options.Replicas, AllowMessageDelete = true };
        NatsKVStore kv;
        try
        {
            kv = await js.CreateKeyValueAsync(config, cancellationToken).ConfigureAwait(false);
        }
        catch (NatsJSApiException e) when (e.ErrCode == CannotAllowDelete)
        {
            // A bucket made before purges erased snapshots: it keeps working; a purge replaces its snapshots without erasing the old ones.
            log($"{config.Bucket} denies message deletes (made by an earlier version): purges cannot erase old partition snapshots on disk until the bucket is recreated");
            kv = await js.CreateKeyValueAsync(config with { AllowMessageDelete = false }, cancellationToken).ConfigureAwait(false);
        }
        return new PartitionStateStore(js, kv, options.Partitions, log);
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
            await kv.PutAsync(Key(partition), buffer.ToArray(), cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (NatsPayloadTooLargeException)
        {
            TooLarge++;
            log($"partition {partition}: state snapshot of {buffer.Length} bytes exceeds the broker's max_payload; keeping the previous one (a takeover replays further)");
            return false;
        }
    }

    /// <summary>
    /// Erases the saved state of a partition on disk (the server overwrites the message, where replacing it with a
    /// put would only mark it deleted): a purge does this before the state without the subject is saved.
    /// </summary>
    public async Task EraseAsync(int partition, CancellationToken cancellationToken)
    {
        var entry = await kv.GetAsync(Key(partition), cancellationToken).ConfigureAwait(false);
        if (entry is null) return;
        try
        {
            await js.DeleteMsgAsync(kv.StreamName, entry.Revision, erase: true, cancellationToken).ConfigureAwait(false);
        }
        catch (NatsJSApiException e) when (e.ErrCode == 10037)
        {
            // Replaced meanwhile by a newer save (which already forgot the subject).
        }
        catch (NatsJSApiException e) when (e.ErrCode == DeleteNotPermitted)
        {
            // A bucket of an earlier version (logged at start): the save replaces the snapshot without erasing it.
        }
    }

    internal static string Key(int partition) => "p" + partition.ToString(CultureInfo.InvariantCulture);
}
