using System.Globalization;
using System.Text;

namespace Siem.Nats.JetStream;

/// <summary>
/// A message delivered by a consumer. Acknowledge it once: <see cref="AckAsync"/> (done),
/// <see cref="NakAsync"/> (redeliver, optionally after a delay), <see cref="TermAsync"/> (never redeliver);
/// <see cref="InProgressAsync"/> extends the ack wait while work continues.
/// </summary>
public sealed class NatsJSMsg
{
    private static readonly ReadOnlyMemory<byte> Ack = "+ACK"u8.ToArray();
    private static readonly ReadOnlyMemory<byte> Nak = "-NAK"u8.ToArray();
    private static readonly ReadOnlyMemory<byte> Wpi = "+WPI"u8.ToArray();
    private static readonly ReadOnlyMemory<byte> Term = "+TERM"u8.ToArray();

    private readonly NatsMsg _msg;
    private readonly NatsConnection _connection;
    private NatsJSMsgMetadata? _metadata;

    internal NatsJSMsg(NatsMsg msg, NatsConnection connection)
    {
        _msg = msg;
        _connection = connection;
    }

    public string Subject => _msg.Subject;
    public NatsHeaders? Headers => _msg.Headers;
    public ReadOnlyMemory<byte> Data => _msg.Data;

    /// <summary>The ack subject; null for messages of an ack-none push consumer that carry none.</summary>
    public string? ReplyTo => _msg.ReplyTo;

    /// <summary>Parsed lazily from the ack subject (so consumers that never look pay nothing).</summary>
    public NatsJSMsgMetadata Metadata => _metadata ??= NatsJSMsgMetadata.Parse(_msg.ReplyTo ?? throw new NatsJSException($"message on '{Subject}' has no ack subject, so no metadata"));

    public ValueTask AckAsync(CancellationToken cancellationToken = default) => SendAsync(Ack, cancellationToken);

    /// <summary>Acks and waits until the server confirms it processed the ack (double ack).</summary>
    public async ValueTask AckSyncAsync(CancellationToken cancellationToken = default)
    {
        await _connection.RequestAsync(AckSubject(), Ack, cancellationToken: cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Asks for redelivery, after <paramref name="delay"/> when given.</summary>
    public ValueTask NakAsync(TimeSpan? delay = null, CancellationToken cancellationToken = default)
    {
        if (delay is not { } d) return SendAsync(Nak, cancellationToken);
        ArgumentOutOfRangeException.ThrowIfLessThan(d, TimeSpan.Zero, nameof(delay));
        // The server reads the JSON after "-NAK ": {"delay": nanoseconds}.
        return SendAsync(Encoding.ASCII.GetBytes(string.Create(CultureInfo.InvariantCulture, $"-NAK {{\"delay\":{d.Ticks * 100}}}")), cancellationToken);
    }

    /// <summary>Resets the ack wait timer: the work is still going on.</summary>
    public ValueTask InProgressAsync(CancellationToken cancellationToken = default) => SendAsync(Wpi, cancellationToken);

    /// <summary>Stops delivery of this message for good.</summary>
    public ValueTask TermAsync(CancellationToken cancellationToken = default) => SendAsync(Term, cancellationToken);

    private ValueTask SendAsync(ReadOnlyMemory<byte> body, CancellationToken cancellationToken)
        => _connection.PublishAsync(AckSubject(), body, cancellationToken: cancellationToken);

    private string AckSubject() => _msg.ReplyTo ?? throw new NatsJSException($"message on '{Subject}' has no ack subject (ack policy none?)");
}
