using System.Globalization;
using System.IO.Compression;
using System.Text.Json;
using System.Text.Json.Nodes;
using Siem.Lineage.Purge;
using Siem.Nats.JetStream;

namespace Siem.Engine.Purge;

/// <summary>
/// The saved state of the scale-out correlation partitions (KV bucket <c>SIEM_CORR_STATE</c>): each partition's open
/// windows with their matched events and its open alerts. A snapshot holding the subject is stored again without the
/// subject, then erased on disk (a replaced KV value would only be marked deleted); older revisions holding it are
/// erased. Partition workers that run are told by the engine-state step before this one, which waits until their
/// engines confirmed they saved their state without the subject; this step cleans what no running worker owns.
/// </summary>
public sealed class PartitionStatePurgeTarget(NatsJSContext js, string bucket = "SIEM_CORR_STATE") : IPurgeTarget
{
    private readonly NatsJSContext _js = js ?? throw new ArgumentNullException(nameof(js));
    private string Stream => "KV_" + bucket;

    public string Name => "scale-out-state";

    public async Task<PurgeStoreResult> PurgeAsync(PurgeScope scope, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(scope);
        var forget = SubjectForgetting.Of(scope);
        var notes = new List<string>();
        if (await StreamMessages.InfoAsync(_js, Stream, notes, cancellationToken).ConfigureAwait(false) is not { } info)
            return new PurgeStoreResult(Name, Note: string.Join("; ", notes) + " (scale-out not used)");
        if (info.Config.DenyDelete || info.Config.MaxMsgsPerSubject < ScaleOut.PartitionStateStore.History)
            notes.Add($"{Stream} was made by an earlier version (denies deletes or keeps one revision): replaced snapshots are only marked deleted on disk; recreate the bucket");
        var (removed, snapshots, erased) = await CleanAsync(forget, notes, cancellationToken).ConfigureAwait(false);
        notes.Add(string.Create(CultureInfo.InvariantCulture,
            $"{snapshots} partition snapshot(s) saved again without the subject ({erased} old one(s) erased): {removed.Matches} correlation matches, {removed.Groups} windows, {removed.Alerts} open alerts removed"));
        return new PurgeStoreResult(Name, Deleted: removed.Total, Erased: erased, Rewritten: snapshots, Note: string.Join("; ", notes));
    }

    public async Task<PurgeStoreCheck> VerifyAsync(PurgeScope scope, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(scope);
        var forget = SubjectForgetting.Of(scope);
        long raw = scope.Matcher == null ? -1 : 0, ids = 0;
        var where = new List<string>();
        await foreach (var msg in StreamMessages.AllAsync(_js, Stream, [], cancellationToken).ConfigureAwait(false))
        {
            if (msg.Data.Length == 0) continue; // a delete or purge marker
            var json = Gunzip(msg.Data);
            bool holdsValue = scope.Matcher is { } m && m.Count(json) > 0;
            bool concerns = Scrub(json, forget).Removed.Total > 0;
            if (holdsValue) raw++;
            if (concerns) ids++;
            if (holdsValue || concerns) where.Add(string.Create(CultureInfo.InvariantCulture, $"{Stream} message {msg.Seq} ({msg.Subject}) holds the subject"));
        }
        return new PurgeStoreCheck(Name, raw, ids, where);
    }

    /// <summary>One pass over the bucket.</summary>
    private async Task<(CorrelationStateScrubber.Removed Removed, int Snapshots, int Erased)> CleanAsync(SubjectForgetting forget, List<string> notes, CancellationToken cancellationToken)
    {
        var removed = new CorrelationStateScrubber.Removed();
        int snapshots = 0, erased = 0;
        await foreach (var msg in StreamMessages.AllAsync(_js, Stream, notes, cancellationToken).ConfigureAwait(false))
        {
            if (msg.Data.Length == 0) continue;
            var (clean, r) = Scrub(Gunzip(msg.Data), forget);
            if (r.Total == 0) continue;
            // Saved again first, then the replaced revisions erased (a put alone would leave them on disk, only marked
            // deleted); a revision that is not the newest of its partition any more is only erased.
            try
            {
                if ((await _js.GetLastMsgForSubjectAsync(Stream, msg.Subject, cancellationToken).ConfigureAwait(false))?.Seq == msg.Seq)
                {
                    var ack = await _js.PublishAsync(msg.Subject, Gzip(clean), cancellationToken: cancellationToken).ConfigureAwait(false);
                    snapshots++;
                    erased += await ScaleOut.PartitionStateStore.EraseOlderRevisionsAsync(_js, Stream, msg.Subject, ack.Seq, canErase: true, cancellationToken).ConfigureAwait(false);
                }
                else
                {
                    await _js.DeleteMsgAsync(Stream, msg.Seq, erase: true, cancellationToken).ConfigureAwait(false);
                    erased++;
                }
            }
            catch (NatsJSApiException e) when (e.ErrCode == ScaleOut.PartitionStateStore.DeleteNotPermitted)
            {
                // Noted above (a bucket of an earlier version).
            }
            removed += r;
        }
        return (removed, snapshots, erased);
    }

    /// <summary>A partition snapshot (<c>{"version","partitions","partition","seq","correlation","suppression"}</c>) without the subject.</summary>
    private static (byte[] Clean, CorrelationStateScrubber.Removed Removed) Scrub(byte[] json, SubjectForgetting forget)
    {
        JsonNode root;
        try
        {
            root = JsonNode.Parse(json) ?? throw new InvalidDataException("empty");
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"partition snapshot is not valid JSON: {ex.Message}", ex);
        }
        var correlation = root["correlation"] ?? throw new InvalidDataException("partition snapshot has no 'correlation'");
        var suppression = root["suppression"] ?? throw new InvalidDataException("partition snapshot has no 'suppression'");
        var removed = CorrelationStateScrubber.ScrubCorrelation(correlation, forget) + CorrelationStateScrubber.ScrubSuppression(suppression, forget);
        return (removed.Total == 0 ? json : JsonSerializer.SerializeToUtf8Bytes(root), removed);
    }

    private static byte[] Gunzip(ReadOnlyMemory<byte> data)
    {
        using var gzip = new GZipStream(new MemoryStream(data.ToArray()), CompressionMode.Decompress);
        using var plain = new MemoryStream();
        try
        {
            gzip.CopyTo(plain);
        }
        catch (InvalidDataException ex)
        {
            throw new InvalidDataException($"partition snapshot is not gzip: {ex.Message}", ex);
        }
        return plain.ToArray();
    }

    private static byte[] Gzip(byte[] json)
    {
        using var buffer = new MemoryStream();
        using (var gzip = new GZipStream(buffer, CompressionLevel.Fastest, leaveOpen: true)) gzip.Write(json);
        return buffer.ToArray();
    }
}
