namespace Siem.Engine.Channels;

/// <summary>A delivery failed. <see cref="Transient"/> failures (timeouts, 429, 5xx) are retried; others are dead-lettered at once.</summary>
public sealed class AlertDeliveryException : Exception
{
    public bool Transient { get; }
    public int? StatusCode { get; }

    public AlertDeliveryException(string message, bool transient, int? statusCode = null, Exception? inner = null)
        : base(message, inner)
    {
        Transient = transient;
        StatusCode = statusCode;
    }

    public AlertDeliveryException() { }
    public AlertDeliveryException(string message) : base(message) { }
    public AlertDeliveryException(string message, Exception innerException) : base(message, innerException) { }
}
