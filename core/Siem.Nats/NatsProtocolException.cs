namespace Siem.Nats;

/// <summary>Thrown when the server sent bytes that are not the NATS protocol.</summary>
public class NatsProtocolException : NatsException
{
    public NatsProtocolException() { }
    public NatsProtocolException(string message) : base(message) { }
    public NatsProtocolException(string message, Exception? innerException) : base(message, innerException) { }
}
