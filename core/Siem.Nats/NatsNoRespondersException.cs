namespace Siem.Nats;

/// <summary>Thrown when a request found no subscriber on its subject (status 503).</summary>
public class NatsNoRespondersException : NatsException
{
    public NatsNoRespondersException() { }
    public NatsNoRespondersException(string message) : base(message) { }
    public NatsNoRespondersException(string message, Exception? innerException) : base(message, innerException) { }
}
