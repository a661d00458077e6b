namespace Siem.Nats;

/// <summary>Thrown when the server sent -ERR; <see cref="ServerError"/> is the server's text.</summary>
public class NatsServerErrorException : NatsException
{
    public NatsServerErrorException() { }
    public NatsServerErrorException(string message) : base(message) { }
    public NatsServerErrorException(string message, Exception? innerException) : base(message, innerException) { }

    public NatsServerErrorException(string serverError, string context)
        : base($"server error: '{serverError}' ({context})") => ServerError = serverError;

    public string ServerError { get; } = "";
}
