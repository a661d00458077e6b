using Siem.Nats;

namespace Siem.Engine.Enrollment;

/// <summary>
/// The NATS side shared by the engine's answers to agents (enrollment, key requests): a queue-group subscription, so
/// engine replicas share the requests, one reply per request, and a clean stop. Subclasses decide the answer.
/// </summary>
public abstract class AgentRequestResponder : IAsyncDisposable
{
    private readonly NatsConnection _connection;
    private readonly string _subject;
    private readonly string _queueGroup;
    private readonly CancellationTokenSource _stop = new();
    private NatsSubscription? _subscription;
    private Task? _loop;

    protected AgentRequestResponder(NatsConnection connection, string subject, string queueGroup, Action<string>? log)
    {
        _connection = connection ?? throw new ArgumentNullException(nameof(connection));
        _subject = subject;
        _queueGroup = queueGroup;
        Log = log ?? (_ => { });
    }

    protected Action<string> Log { get; }

    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        _subscription = await _connection.SubscribeAsync(_subject, _queueGroup, cancellationToken).ConfigureAwait(false);
        _loop = Task.Run(() => LoopAsync(_subscription), CancellationToken.None);
        // SUB is only buffered by then: the round trip makes sure the server routes requests here once we return, so
        // an agent enrolling right after start (the demo, a test) does not get "no responders".
        await _connection.PingAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The reply body for one request (never throws for bad input: a refusal is an answer too).</summary>
    protected abstract byte[] Answer(NatsMsg request);

    private async Task LoopAsync(NatsSubscription subscription)
    {
        try
        {
            await foreach (var msg in subscription.ReadAllAsync(_stop.Token).ConfigureAwait(false))
            {
                if (msg.ReplyTo is null) continue;
                var reply = Answer(msg);
                try
                {
                    await _connection.PublishAsync(msg.ReplyTo, reply, cancellationToken: _stop.Token).ConfigureAwait(false);
                }
                catch (NatsException e)
                {
                    Log($"reply to {msg.Subject} not sent: {e.Message}");
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
        if (_subscription is not null) await _subscription.DisposeAsync().ConfigureAwait(false);
        if (_loop is not null) await _loop.ConfigureAwait(false);
        _stop.Dispose();
        GC.SuppressFinalize(this);
    }
}
