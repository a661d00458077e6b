using System.Text.Json;
using Siem.Nats.JetStream;

namespace Siem.Engine.Control;

/// <summary>The API's side of <see cref="LiveChanges"/>: says what changed (ids and names only, never a secret).</summary>
/// <param name="replicas">Copies of the bucket if this process creates it (an existing bucket keeps its own).</param>
public sealed class LiveChangePublisher(NatsJSContext jetStream, int replicas = 1)
{
    private readonly NatsJSContext _jetStream = jetStream ?? throw new ArgumentNullException(nameof(jetStream));
    private NatsKVStore? _bucket;

    /// <summary>The rules under the shared data dir changed (<paramref name="change"/>: e.g. <c>upload rule-id</c>).</summary>
    public Task<ulong> RulesChangedAsync(string change, string actor, CancellationToken cancellationToken = default) =>
        PutAsync(LiveChanges.RulesKey, new { change, by = actor, at = DateTimeOffset.UtcNow }, cancellationToken);

    public Task<ulong> AgentRevokedAsync(string agentId, string actor, CancellationToken cancellationToken = default) =>
        PutAsync(LiveChanges.AgentKey(agentId), new { revoked = true, by = actor, at = DateTimeOffset.UtcNow }, cancellationToken);

    /// <summary>
    /// A purge: running engines forget the subject's records and alerts (ids only). Returns the bucket and revisions,
    /// so the purge can erase the notices once the engines' state is clean.
    /// </summary>
    public async Task<(NatsKVStore Bucket, List<ulong> Revisions)> PurgeAnnouncedAsync(Purge.SubjectForgetting forget, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(forget);
        _bucket ??= await LiveChanges.OpenAsync(_jetStream, replicas, cancellationToken).ConfigureAwait(false);
        var revisions = new List<ulong>();
        int part = 0;
        foreach (var notice in Purge.ForgetNotice.Encode(forget))
            revisions.Add(await _bucket.PutAsync(LiveChanges.PurgeKey(forget.JobId, part++), notice, cancellationToken).ConfigureAwait(false));
        return (_bucket, revisions);
    }

    /// <summary>
    /// Waits until every engine running (heartbeat in <see cref="EngineRoster"/>) confirmed all <paramref name="parts"/>
    /// parts of the purge's notice, or <paramref name="limit"/> passed. Engines that start meanwhile are waited for too;
    /// engines that stop are not.
    /// </summary>
    public async Task<PurgeConfirmation> WaitAppliedAsync(string jobId, int parts, TimeSpan limit, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(jobId);
        await EngineRoster.OpenAsync(_jetStream, replicas, cancellationToken).ConfigureAwait(false);
        var began = System.Diagnostics.Stopwatch.StartNew();
        var seen = new SortedSet<string>(StringComparer.Ordinal);
        var everConfirmed = new SortedSet<string>(StringComparer.Ordinal);
        while (true)
        {
            var live = await EngineRoster.LiveAsync(_jetStream, cancellationToken).ConfigureAwait(false);
            seen.UnionWith(live);
            var confirmed = new HashSet<string>(live, StringComparer.Ordinal);
            for (int part = 0; part < parts && confirmed.Count > 0; part++)
                confirmed.IntersectWith(await EngineRoster.ConfirmedAsync(_jetStream, jobId, part, cancellationToken).ConfigureAwait(false));
            everConfirmed.UnionWith(confirmed);
            var missing = live.Where(e => !everConfirmed.Contains(e)).ToList();
            if (missing.Count == 0 || began.Elapsed >= limit)
            {
                var left = seen.Where(e => !live.Contains(e) && !everConfirmed.Contains(e)).ToList();
                return new PurgeConfirmation([.. everConfirmed], missing, left, began.Elapsed);
            }
            await Task.Delay(ConfirmPoll, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// How long a purge notice stays in <see cref="LiveChanges.Bucket"/> for engines that start later (an engine
    /// restoring state from before the purge that the purge could not clean forgets the subject when it learns of it):
    /// longer than any correlation or suppression window keeps a record. Zero removes a purge's notice as soon as every
    /// running engine confirmed it.
    /// </summary>
    public TimeSpan NoticeRetention { get; init; } = TimeSpan.FromDays(7);

    /// <summary>
    /// Removes (stream purge by subject: no marker left behind) the notices of purges announced longer than
    /// <see cref="NoticeRetention"/> ago, except <paramref name="keepJob"/>'s (a purge some running engine did not
    /// confirm yet). Returns how many purges' notices went.
    /// </summary>
    public async Task<int> RemoveExpiredNoticesAsync(string? keepJob, CancellationToken cancellationToken = default)
    {
        _bucket ??= await LiveChanges.OpenAsync(_jetStream, replicas, cancellationToken).ConfigureAwait(false);
        var notices = await KvListing.LatestAsync(_jetStream, LiveChanges.Bucket, LiveChanges.PurgePrefix, cancellationToken).ConfigureAwait(false);
        var cutoff = DateTimeOffset.UtcNow - NoticeRetention;
        // A purge's parts go together, once its newest part is old enough.
        var expired = notices
            .GroupBy(n => n.Key[LiveChanges.PurgePrefix.Length..n.Key.LastIndexOf('.')], StringComparer.Ordinal)
            .Where(g => g.Key != keepJob && g.Max(n => n.Created) <= cutoff)
            .Select(g => g.Key).ToList();
        foreach (var job in expired)
            await _jetStream.PurgeStreamAsync(_bucket.StreamName, "$KV." + LiveChanges.Bucket + "." + LiveChanges.PurgePrefix + job + ".>", cancellationToken).ConfigureAwait(false);
        return expired.Count;
    }

    /// <summary>How often <see cref="WaitAppliedAsync"/> looks at the confirmations.</summary>
    private static readonly TimeSpan ConfirmPoll = TimeSpan.FromMilliseconds(250);

    private async Task<ulong> PutAsync(string key, object value, CancellationToken cancellationToken)
    {
        _bucket ??= await LiveChanges.OpenAsync(_jetStream, replicas, cancellationToken).ConfigureAwait(false);
        return await _bucket.PutAsync(key, JsonSerializer.SerializeToUtf8Bytes(value), cancellationToken).ConfigureAwait(false);
    }
}
