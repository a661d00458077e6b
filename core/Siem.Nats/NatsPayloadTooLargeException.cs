namespace Siem.Nats;

/// <summary>Thrown by PublishAsync before anything is sent when headers + data exceed the server's max_payload.</summary>
public class NatsPayloadTooLargeException : NatsException
{
    public NatsPayloadTooLargeException() { }
    public NatsPayloadTooLargeException(string message) : base(message) { }
    public NatsPayloadTooLargeException(string message, Exception? innerException) : base(message, innerException) { }

    public NatsPayloadTooLargeException(string subject, long size, long maxPayload)
        : base($"message to '{subject}' is {size} bytes (headers + data) but the server's max_payload is {maxPayload} bytes; split it or raise max_payload")
    {
        Size = size;
        MaxPayload = maxPayload;
    }

    public long Size { get; }
    public long MaxPayload { get; }
}
