using System.Text.Json;
using Siem.Nats;
using Siem.Nats.JetStream;

namespace Siem.Api.Purges;

/// <summary>
/// Cluster-wide purge claims in the JetStream KV bucket <c>SIEM_PURGE_CLAIMS</c>: a claim is a create-only write of the
/// key <c>job.&lt;id&gt;</c> (of processes racing, exactly one wins), renewed by its holder every third of the lease with
/// a write at the revision it holds. The bucket's TTL is the lease, so the key of a holder that died (or lost NATS)
/// ages out on the server and another process can claim the job. A holder that cannot renew for 90 % of the lease
/// (measured from when the last good renewal was sent) gives the claim up at once — before the server lets anyone else
/// take it — and stops its run, which is resumable.
/// </summary>
/// <param name="replicas">Copies of the bucket when this creates it (<c>nats.replicas</c>: 3 on a 3-node cluster).</param>
public sealed class NatsPurgeClaims(NatsJSContext jetStream, string holder, TimeSpan? lease = null, int replicas = 1) : IPurgeClaims
{
    public const string Bucket = "SIEM_PURGE_CLAIMS";

    private readonly TimeSpan _lease = lease ?? TimeSpan.FromSeconds(30);
    private NatsKVStore? _bucket;

    public TimeSpan Lease => _lease;

    /// <summary>Half a renewal period: a waiting process notices an expired claim soon after it ages out.</summary>
    public TimeSpan RetryInterval => _lease / 6;

    public async Task<IPurgeClaim?> TryClaimAsync(string jobId, CancellationToken cancellationToken = default)
    {
        _bucket ??= await jetStream.CreateKeyValueAsync(new KvConfig(Bucket)
        {
            Description = "siem: which API process runs each purge job (a lease its holder renews)",
            History = 1,
            Ttl = _lease,
            Replicas = replicas,
        }, cancellationToken).ConfigureAwait(false);
        string key = "job." + jobId;
        long sent = Environment.TickCount64;
        var revision = await _bucket.TryCreateAsync(key, Value(), cancellationToken).ConfigureAwait(false);
        return revision is { } r ? new NatsClaim(this, _bucket, key, r, sent) : null;
    }

    private byte[] Value() => JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, string>
    {
        ["holder"] = holder,
        ["renewed_at"] = DateTimeOffset.UtcNow.ToString("O", System.Globalization.CultureInfo.InvariantCulture),
    });

    private sealed class NatsClaim : IPurgeClaim
    {
        private readonly NatsPurgeClaims _owner;
        private readonly NatsKVStore _bucket;
        private readonly string _key;
        private readonly CancellationTokenSource _lost = new();
        private readonly CancellationTokenSource _stop = new();
        private readonly Task _heartbeat;
        private ulong _revision;

        public NatsClaim(NatsPurgeClaims owner, NatsKVStore bucket, string key, ulong revision, long sent)
        {
            (_owner, _bucket, _key, _revision) = (owner, bucket, key, revision);
            TrustUntil(sent);
            _heartbeat = Task.Run(HeartbeatAsync);
        }

        public CancellationToken Lost => _lost.Token;

        /// <summary>The claim is trusted until 90 % of the lease after the write that renewed it was sent (the server's
        /// lease runs from when it stored that write, which is later).</summary>
        private void TrustUntil(long sent)
        {
            var left = _owner._lease * 0.9 - TimeSpan.FromMilliseconds(Environment.TickCount64 - sent);
            if (left <= TimeSpan.Zero) _lost.Cancel();
            else _lost.CancelAfter(left);
        }

        private async Task HeartbeatAsync()
        {
            var period = _owner._lease / 3;
            try
            {
                while (!_lost.IsCancellationRequested)
                {
                    await Task.Delay(period, _stop.Token).ConfigureAwait(false);
                    long sent = Environment.TickCount64;
                    try
                    {
                        using var attempt = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token, _lost.Token);
                        attempt.CancelAfter(period);
                        var renewed = await _bucket.TryUpdateAsync(_key, _owner.Value(), _revision, attempt.Token).ConfigureAwait(false);
                        if (renewed is not { } r)
                        {
                            // The key moved on without us: it aged out and someone else claimed the job.
                            await _lost.CancelAsync().ConfigureAwait(false);
                            return;
                        }
                        _revision = r;
                        if (!_lost.IsCancellationRequested) TrustUntil(sent);
                    }
                    catch (Exception e) when (e is NatsException or TimeoutException or ObjectDisposedException
                        || (e is OperationCanceledException && !_stop.IsCancellationRequested))
                    {
                        // NATS unreachable or slow: try again next period; the trust deadline stops the run in time.
                    }
                }
            }
            catch (OperationCanceledException) when (_stop.IsCancellationRequested)
            {
            }
        }

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync().ConfigureAwait(false);
            await _heartbeat.ConfigureAwait(false);
            if (!_lost.IsCancellationRequested)
            {
                try
                {
                    using var release = new CancellationTokenSource(TimeSpan.FromSeconds(2));
                    await _bucket.TryDeleteAsync(_key, _revision, release.Token).ConfigureAwait(false);
                }
                catch (Exception e) when (e is NatsException or TimeoutException or OperationCanceledException or ObjectDisposedException)
                {
                    // Not released: the key ages out after the lease.
                }
            }
            _lost.Dispose();
            _stop.Dispose();
        }
    }
}
