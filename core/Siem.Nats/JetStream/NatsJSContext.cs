using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Siem.Nats.JetStream.Internal;

namespace Siem.Nats.JetStream;

/// <summary>
/// JetStream over a <see cref="NatsConnection"/>: the JSON API (<c>$JS.API.*</c>) for streams, consumers,
/// stored messages and key-value buckets, plus acknowledged publishing. Thread-safe; cheap to create.
/// </summary>
public sealed partial class NatsJSContext
{
    private readonly string _prefix;

    public NatsJSContext(NatsConnection connection, string apiPrefix = "$JS.API")
    {
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentException.ThrowIfNullOrWhiteSpace(apiPrefix);
        Connection = connection;
        _prefix = apiPrefix.TrimEnd('.');
    }

    public NatsConnection Connection { get; }

    /// <summary>Timeout of each API request; null = the connection's <see cref="NatsOpts.RequestTimeout"/>.</summary>
    public TimeSpan? RequestTimeout { get; init; }

    internal string ApiSubject(string suffix) => _prefix + "." + suffix;

    /// <summary>Sends one API request and decodes the answer; an <c>error</c> answer becomes <see cref="NatsJSApiException"/>.</summary>
    internal async Task<TResp> ApiRequestAsync<TReq, TResp>(string suffix, TReq? request, JsonTypeInfo<TReq> requestInfo, JsonTypeInfo<TResp> responseInfo, CancellationToken cancellationToken)
        where TResp : ApiResponse
    {
        var payload = request is null ? ReadOnlyMemory<byte>.Empty : JsonSerializer.SerializeToUtf8Bytes(request, requestInfo);
        return await ApiRequestAsync(suffix, payload, responseInfo, cancellationToken).ConfigureAwait(false);
    }

    internal async Task<TResp> ApiRequestAsync<TResp>(string suffix, ReadOnlyMemory<byte> payload, JsonTypeInfo<TResp> responseInfo, CancellationToken cancellationToken)
        where TResp : ApiResponse
    {
        var subject = ApiSubject(suffix);
        var reply = await Connection.RequestAsync(subject, payload, headers: null, timeout: RequestTimeout, cancellationToken: cancellationToken).ConfigureAwait(false);
        TResp? response;
        try
        {
            response = JsonSerializer.Deserialize(reply.Data.Span, responseInfo);
        }
        catch (JsonException e)
        {
            throw new NatsJSException($"JetStream API answer on {subject} is not valid JSON ({e.Message}): {Preview(reply.Data)}", e);
        }
        if (response is null) throw new NatsJSException($"JetStream API answer on {subject} is empty (status {reply.Headers?.Code ?? 0})");
        if (response.Error is { } err) throw new NatsJSApiException(err.Code, err.ErrCode, err.Description ?? "", subject);
        return response;
    }

    private static string Preview(ReadOnlyMemory<byte> data)
        => System.Text.Encoding.UTF8.GetString(data.Span[..Math.Min(data.Length, 200)]);

    /// <summary>Stream and consumer names become subject tokens: no dots, wildcards or whitespace.</summary>
    internal static void ValidateName(string name, string what)
    {
        ArgumentException.ThrowIfNullOrEmpty(name, what);
        foreach (var c in name)
        {
            if (c is '.' or '*' or '>' or ' ' or '\t' or '\r' or '\n')
                throw new ArgumentException($"{what} '{name}' is invalid: it may not contain '.', '*', '>' or whitespace", what);
        }
    }
}
