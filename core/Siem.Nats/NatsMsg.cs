namespace Siem.Nats;

/// <summary>A received message. <see cref="Data"/> is a copy owned by the message, safe to keep.</summary>
public readonly struct NatsMsg
{
    public NatsMsg(string subject, string? replyTo, NatsHeaders? headers, ReadOnlyMemory<byte> data)
    {
        Subject = subject;
        ReplyTo = replyTo;
        Headers = headers;
        Data = data;
    }

    public string Subject { get; }
    public string? ReplyTo { get; }
    public NatsHeaders? Headers { get; }
    public ReadOnlyMemory<byte> Data { get; }
}
