namespace Siem.Nats;

/// <summary>Thrown when the server rejected the credentials or a permission (-ERR 'Authorization Violation' / 'Permissions Violation').</summary>
public class NatsAuthorizationException : NatsException
{
    public NatsAuthorizationException() { }
    public NatsAuthorizationException(string message) : base(message) { }
    public NatsAuthorizationException(string message, Exception? innerException) : base(message, innerException) { }
}
