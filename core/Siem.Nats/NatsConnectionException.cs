namespace Siem.Nats;

/// <summary>Thrown when the connection could not be established or was lost/closed.</summary>
public class NatsConnectionException : NatsException
{
    public NatsConnectionException() { }
    public NatsConnectionException(string message) : base(message) { }
    public NatsConnectionException(string message, Exception? innerException) : base(message, innerException) { }
}
