namespace Siem.Nats;

/// <summary>Base of every error raised by the NATS client.</summary>
public class NatsException : Exception
{
    public NatsException() { }
    public NatsException(string message) : base(message) { }
    public NatsException(string message, Exception? innerException) : base(message, innerException) { }
}
