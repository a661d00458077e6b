namespace Siem.Nats.JetStream;

/// <summary>The JetStream API answered with <c>{"error":{...}}</c> (or a PubAck carried an error).</summary>
public sealed class NatsJSApiException : NatsJSException
{
    public NatsJSApiException(int code, int errCode, string description, string? operation = null)
        : base($"JetStream API error{(operation is null ? "" : " on " + operation)}: {description} (code {code}, err_code {errCode})")
    {
        Code = code;
        ErrCode = errCode;
        Description = description;
    }

    /// <summary>HTTP-like status (400, 404, 503...).</summary>
    public int Code { get; }

    /// <summary>JetStream error code (10059 = stream not found, 10014 = consumer not found, 10037 = no message found...).</summary>
    public int ErrCode { get; }

    public string Description { get; }
}
