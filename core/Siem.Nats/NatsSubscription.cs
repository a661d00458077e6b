using System.Threading.Channels;

namespace Siem.Nats;

/// <summary>A subscription. Messages wait in a bounded channel of <see cref="NatsOpts.SubscriptionCapacity"/>; when it is
/// full the connection stops reading the socket until this subscriber reads (backpressure, nothing dropped).</summary>
public sealed class NatsSubscription : IAsyncDisposable
{
    private readonly NatsConnection _connection;
    private readonly Channel<NatsMsg> _channel;
    private long _delivered;
    private long _maxMsgs;

    internal NatsSubscription(NatsConnection connection, long sid, string subject, string? queueGroup, int capacity, bool isMux = false)
    {
        _connection = connection;
        Sid = sid;
        Subject = subject;
        QueueGroup = queueGroup;
        IsMux = isMux;
        IsLiteral = !subject.Contains('*', StringComparison.Ordinal) && !subject.Contains('>', StringComparison.Ordinal);
        _channel = Channel.CreateBounded<NatsMsg>(new BoundedChannelOptions(capacity)
        {
            FullMode = BoundedChannelFullMode.Wait,
            SingleWriter = true,
            SingleReader = false,
        });
    }

    public string Subject { get; }
    public string? QueueGroup { get; }
    public ChannelReader<NatsMsg> Msgs => _channel.Reader;

    internal long Sid { get; }
    internal bool IsMux { get; }
    internal bool IsLiteral { get; }
    internal long Delivered => Interlocked.Read(ref _delivered);
    internal long MaxMsgs => Interlocked.Read(ref _maxMsgs);

    public IAsyncEnumerable<NatsMsg> ReadAllAsync(CancellationToken cancellationToken = default) => _channel.Reader.ReadAllAsync(cancellationToken);

    /// <summary>Unsubscribes now, or after <paramref name="maxMsgs"/> messages in total have been received on this
    /// subscription. Messages already buffered stay readable; the channel completes afterwards.</summary>
    public ValueTask UnsubscribeAsync(int? maxMsgs = null) => _connection.UnsubscribeAsync(this, maxMsgs);

    public ValueTask DisposeAsync() => UnsubscribeAsync();

    internal void SetMax(long max) => Interlocked.Exchange(ref _maxMsgs, max);

    /// <summary>Counts a received message; true when it was the last one allowed by max msgs.</summary>
    internal bool CountAndCheckLast()
    {
        long n = Interlocked.Increment(ref _delivered);
        long max = MaxMsgs;
        return max > 0 && n >= max;
    }

    internal bool TryWrite(in NatsMsg msg) => _channel.Writer.TryWrite(msg);

    internal async ValueTask DeliverAsync(NatsMsg msg, CancellationToken cancellationToken)
    {
        try
        {
            await _channel.Writer.WriteAsync(msg, cancellationToken);
        }
        catch (ChannelClosedException)
        {
            // Unsubscribed while waiting for room: the subscriber asked to stop receiving.
        }
    }

    internal void Complete(Exception? error) => _channel.Writer.TryComplete(error);
}
