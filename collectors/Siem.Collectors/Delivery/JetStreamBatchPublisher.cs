using Siem.Core.Envelope;
using Siem.Nats;
using Siem.Nats.JetStream;

namespace Siem.Collectors.Delivery;

/// <summary>Publishes sealed batches to JetStream with many PubAcks in flight; <c>Nats-Msg-Id</c> makes retries idempotent.</summary>
internal sealed class JetStreamBatchPublisher : IBatchPublisher
{
    private readonly NatsConnection _connection;
    private readonly NatsJSPublisher _publisher;

    public JetStreamBatchPublisher(NatsConnection connection, int maxInFlight, TimeSpan ackTimeout)
    {
        _connection = connection;
        _publisher = new NatsJSContext(connection).CreatePublisher(maxInFlight, ackTimeout);
    }

    public bool IsConnected => _connection.ConnectionState == NatsConnectionState.Open;

    public async ValueTask<Task> PublishAsync(string subject, SealedEnvelope envelope, CancellationToken cancellationToken)
    {
        var headers = new NatsHeaders();
        foreach (var (name, value) in envelope.Headers)
        {
            if (name != EnvelopeFormat.HeaderMsgId) headers.Add(name, value);
        }
        return await _publisher.PublishAsync(subject, envelope.Body, headers, envelope.MsgId, cancellationToken).ConfigureAwait(false);
    }

    public ValueTask DisposeAsync() => _publisher.DisposeAsync();
}
