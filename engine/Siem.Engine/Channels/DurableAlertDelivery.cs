using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using Siem.Nats;
using Siem.Nats.JetStream;

namespace Siem.Engine.Channels;

/// <summary>
/// Delivers alerts from the alerts stream, not from memory: the engine publishes every new alert and every count
/// change to <c>siem.alerts.&lt;level&gt;</c> (awaiting the PubAck) before it acks the events that raised it, and each
/// channel has its own durable pull consumer on that stream. A message is acked only after its channel took it, or
/// after it was dead-lettered, so a process killed with alerts pending leaves them to the next process (or another
/// replica sharing the consumer). What each channel was told about each alert is kept in a JetStream KV bucket and
/// checked before sending, so a redelivered message is not sent again; the webhook's <c>Idempotency-Key</c> covers the
/// one window this cannot close (killed after the channel answered, before the state was written).
/// Count updates are paced per alert and channel (<see cref="DurableDeliveryOptions.UpdateInterval"/>) by delaying
/// the message (nak with delay) instead of holding it in memory.
/// </summary>
public sealed partial class DurableAlertDelivery : IAsyncDisposable
{
    private readonly NatsJSContext _js;
    private readonly AlertDispatcher _dispatcher;
    private readonly DurableDeliveryOptions _options;
    private readonly Action<string> _log;
    private readonly List<ChannelWorker> _workers = [];
    private readonly CancellationTokenSource _stop = new();
    private NatsKVStore? _state;
    private long _updatesPaced, _superseded, _resolved, _unreadable;

    public DurableAlertDelivery(NatsConnection nats, AlertDispatcher dispatcher, DurableDeliveryOptions? options = null, Action<string>? log = null)
    {
        ArgumentNullException.ThrowIfNull(nats);
        _js = new NatsJSContext(nats);
        _dispatcher = dispatcher ?? throw new ArgumentNullException(nameof(dispatcher));
        _options = options ?? DurableDeliveryOptions.Default;
        _log = log ?? (_ => { });
    }

    public AlertDispatcher Dispatcher => _dispatcher;
    /// <summary>Count updates held back (delayed) because the channel was told about the alert less than the update interval ago.</summary>
    public long UpdatesPaced => Interlocked.Read(ref _updatesPaced);
    /// <summary>Messages acked without sending: the channel already had this state (redelivery) or a newer one is on its way.</summary>
    public long Superseded => Interlocked.Read(ref _superseded);
    public long Resolved => Interlocked.Read(ref _resolved);
    /// <summary>Messages on the alerts stream that were not readable alerts (terminated, logged).</summary>
    public long Unreadable => Interlocked.Read(ref _unreadable);

    /// <summary>The durable consumer of a channel.</summary>
    public string ConsumerName(string channel) => $"{_options.ConsumerPrefix}-{Token(channel)}";

    /// <summary>Creates the state bucket and one durable consumer per channel (new ones start with alerts published from now on), and starts delivering.</summary>
    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        if (_workers.Count > 0) throw new InvalidOperationException("the alert delivery is already started");
        _state = await _js.CreateKeyValueAsync(new Siem.Nats.JetStream.KvConfig(_options.StateBucket)
        {
            Description = "what each alert channel was told about each alert",
            Ttl = TimeSpan.FromDays(31),
            Replicas = _options.StateReplicas,
        }, cancellationToken).ConfigureAwait(false);
        foreach (var (channel, route) in _dispatcher.Channels)
        {
            var consumer = await _js.CreateOrUpdateConsumerAsync(_options.Stream, new ConsumerConfig(ConsumerName(channel.Name))
            {
                Description = $"alert delivery to channel '{channel.Name}'",
                DeliverPolicy = DeliverPolicy.New,
                AckWait = _options.AckWait,
                MaxAckPending = _options.MaxAckPending,
                FilterSubject = "siem.alerts.>",
            }, cancellationToken).ConfigureAwait(false);
            _workers.Add(new ChannelWorker(channel, route, consumer, Token(channel.Name)));
        }
        foreach (var w in _workers) w.Run = Task.Run(() => RunAsync(w, _stop.Token), CancellationToken.None);
    }

    /// <summary>
    /// Waits until every channel's consumer has nothing left to hand out and this process is not delivering (paced
    /// updates and resolve checks waiting for their time do not count). For <c>--once</c> runs that exit afterwards.
    /// </summary>
    public async Task<bool> WaitIdleAsync(TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        try
        {
            while (true)
            {
                bool idle = true;
                foreach (var w in _workers)
                {
                    var info = await w.Consumer.RefreshAsync(deadline.Token).ConfigureAwait(false);
                    idle &= info.NumPending == 0 && Volatile.Read(ref w.Busy) == 0;
                }
                if (idle) return true;
                await Task.Delay(100, deadline.Token).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return false;
        }
    }

    /// <summary>Stops taking messages; one being delivered is abandoned unacked (it is redelivered), nothing is lost.</summary>
    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        foreach (var w in _workers)
        {
            if (w.Run != null) await w.Run.ConfigureAwait(false);
        }
        _stop.Dispose();
    }

    private async Task RunAsync(ChannelWorker w, CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await foreach (var msg in w.Consumer.ConsumeAsync(_options.BatchSize, cancellationToken: cancellationToken).ConfigureAwait(false))
                {
                    Interlocked.Exchange(ref w.Busy, 1);
                    try
                    {
                        await HandleAsync(w, msg, cancellationToken).ConfigureAwait(false);
                    }
                    finally
                    {
                        Interlocked.Exchange(ref w.Busy, 0);
                    }
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                // The broker went away or a state write failed: the message stays unacked and comes back; try again shortly.
                _log($"alert delivery to '{w.Channel.Name}' interrupted ({ex.GetType().Name}: {ex.Message}); resuming");
                try { await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken).ConfigureAwait(false); }
                catch (OperationCanceledException) { return; }
            }
        }
    }

    /// <summary>A KV- and consumer-name-safe token: the name itself when it is plain, else a readable prefix plus a hash.</summary>
    internal static string Token(string name)
    {
        if (PlainName().IsMatch(name)) return name;
        string safe = NotPlain().Replace(name, "_");
        string hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(name)))[..8];
        return $"{(safe.Length > 32 ? safe[..32] : safe)}_{hash}";
    }

    [GeneratedRegex("^[A-Za-z0-9_-]{1,64}$")]
    private static partial Regex PlainName();

    [GeneratedRegex("[^A-Za-z0-9_-]")]
    private static partial Regex NotPlain();

    private sealed class ChannelWorker(IAlertChannel channel, AlertRoute route, NatsJSConsumer consumer, string token)
    {
        public IAlertChannel Channel { get; } = channel;
        public AlertRoute Route { get; } = route;
        public NatsJSConsumer Consumer { get; } = consumer;
        public string Token { get; } = token;
        public Task? Run { get; set; }
        public int Busy;
    }
}
