using Siem.Nats.JetStream.Internal;

namespace Siem.Nats.JetStream;

public sealed partial class NatsJSContext
{
    /// <summary>JetStream err_code: consumer not found.</summary>
    internal const int ConsumerNotFound = 10014;

    /// <summary>
    /// Creates a durable consumer (or changes the editable fields of an existing one). A config without a
    /// durable name creates an ephemeral consumer, removed by the server once idle (<see cref="ConsumerConfig.InactiveThreshold"/>).
    /// </summary>
    public async Task<NatsJSConsumer> CreateOrUpdateConsumerAsync(string stream, ConsumerConfig config, CancellationToken cancellationToken = default)
    {
        ValidateName(stream, "stream name");
        ArgumentNullException.ThrowIfNull(config);
        string suffix;
        if (config.DurableName is { } durable)
        {
            ValidateName(durable, "consumer durable name");
            suffix = $"CONSUMER.DURABLE.CREATE.{stream}.{durable}";
        }
        else
        {
            suffix = $"CONSUMER.CREATE.{stream}";
        }
        var r = await ApiRequestAsync(suffix, new ConsumerCreateRequest(stream, config), JetStreamJson.Default.ConsumerCreateRequest, JetStreamJson.Default.ConsumerInfoResponse, cancellationToken).ConfigureAwait(false);
        return new NatsJSConsumer(this, ToInfo(r, stream));
    }

    public async Task<NatsJSConsumer> GetConsumerAsync(string stream, string name, CancellationToken cancellationToken = default)
    {
        var info = await GetConsumerInfoAsync(stream, name, cancellationToken).ConfigureAwait(false);
        return new NatsJSConsumer(this, info);
    }

    public async Task<ConsumerInfo> GetConsumerInfoAsync(string stream, string name, CancellationToken cancellationToken = default)
    {
        ValidateName(stream, "stream name");
        ValidateName(name, "consumer name");
        var r = await ApiRequestAsync($"CONSUMER.INFO.{stream}.{name}", ReadOnlyMemory<byte>.Empty, JetStreamJson.Default.ConsumerInfoResponse, cancellationToken).ConfigureAwait(false);
        return ToInfo(r, stream);
    }

    /// <summary>Deletes a consumer; false when there was no such consumer.</summary>
    public async Task<bool> DeleteConsumerAsync(string stream, string name, CancellationToken cancellationToken = default)
    {
        ValidateName(stream, "stream name");
        ValidateName(name, "consumer name");
        try
        {
            var r = await ApiRequestAsync($"CONSUMER.DELETE.{stream}.{name}", ReadOnlyMemory<byte>.Empty, JetStreamJson.Default.SuccessResponse, cancellationToken).ConfigureAwait(false);
            return r.Success;
        }
        catch (NatsJSApiException e) when (e.ErrCode == ConsumerNotFound)
        {
            return false;
        }
    }

    private static ConsumerInfo ToInfo(ConsumerInfoResponse r, string stream) => new()
    {
        StreamName = r.StreamName ?? stream,
        Name = r.Name ?? "",
        Created = r.Created,
        Config = r.Config ?? new ConsumerConfig(),
        Delivered = r.Delivered ?? new SequenceInfo(),
        AckFloor = r.AckFloor ?? new SequenceInfo(),
        NumAckPending = r.NumAckPending,
        NumRedelivered = r.NumRedelivered,
        NumWaiting = r.NumWaiting,
        NumPending = r.NumPending,
    };
}
