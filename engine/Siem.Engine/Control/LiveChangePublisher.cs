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

    private async Task<ulong> PutAsync(string key, object value, CancellationToken cancellationToken)
    {
        _bucket ??= await LiveChanges.OpenAsync(_jetStream, replicas, cancellationToken).ConfigureAwait(false);
        return await _bucket.PutAsync(key, JsonSerializer.SerializeToUtf8Bytes(value), cancellationToken).ConfigureAwait(false);
    }
}
