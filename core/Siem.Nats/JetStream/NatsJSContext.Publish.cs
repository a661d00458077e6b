using Siem.Nats.JetStream.Internal;

namespace Siem.Nats.JetStream;

public sealed partial class NatsJSContext
{
    /// <summary>Header that makes a publish idempotent inside the stream's duplicate window.</summary>
    public const string MsgIdHeader = "Nats-Msg-Id";

    private string? _streamCache;

    /// <summary>
    /// Publishes one message and waits for its PubAck. A retry with the same <paramref name="msgId"/> inside the
    /// duplicate window is not stored twice (<see cref="PubAck.Duplicate"/> = true). For throughput use
    /// <see cref="CreatePublisher"/>, which keeps many acks in flight.
    /// </summary>
    public async Task<PubAck> PublishAsync(string subject, ReadOnlyMemory<byte> data, NatsHeaders? headers = null, string? msgId = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(subject);
        var h = WithMsgId(headers, msgId);
        var reply = await Connection.RequestAsync(subject, data, h, RequestTimeout, cancellationToken).ConfigureAwait(false);
        var error = PubAckParser.TryParse(reply, subject, ref _streamCache, out var ack);
        if (error is not null) throw error;
        return ack!;
    }

    /// <summary>
    /// A publisher that keeps up to <paramref name="maxInFlight"/> PubAcks outstanding. Dispose it when done.
    /// </summary>
    /// <param name="ackTimeout">How long one message may wait for its PubAck; null = the connection's request timeout.</param>
    public NatsJSPublisher CreatePublisher(int maxInFlight = 1024, TimeSpan? ackTimeout = null)
        => new(this, maxInFlight, ackTimeout ?? RequestTimeout ?? Connection.Opts.RequestTimeout);

    /// <summary>Adds <c>Nats-Msg-Id</c> to a copy of the caller's headers (never mutates them).</summary>
    internal static NatsHeaders? WithMsgId(NatsHeaders? headers, string? msgId)
    {
        if (msgId is null) return headers;
        ArgumentException.ThrowIfNullOrEmpty(msgId);
        var copy = new NatsHeaders();
        if (headers is not null)
        {
            foreach (var (key, values) in headers)
            {
                foreach (var v in values) copy.Add(key, v);
            }
        }
        copy[MsgIdHeader] = msgId;
        return copy;
    }
}
