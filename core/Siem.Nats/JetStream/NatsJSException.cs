namespace Siem.Nats.JetStream;

/// <summary>A JetStream failure that is not an API error answer (malformed answer, missed heartbeats...).</summary>
public class NatsJSException : NatsException
{
    public NatsJSException(string message) : base(message) { }

    public NatsJSException(string message, Exception inner) : base(message, inner) { }
}
