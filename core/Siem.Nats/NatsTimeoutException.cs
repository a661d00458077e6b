namespace Siem.Nats;

/// <summary>Thrown when a request or round trip did not complete in time.</summary>
public class NatsTimeoutException : NatsException
{
    public NatsTimeoutException() { }
    public NatsTimeoutException(string message) : base(message) { }
    public NatsTimeoutException(string message, Exception? innerException) : base(message, innerException) { }
}
