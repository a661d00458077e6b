using Siem.Core.Envelope;

namespace Siem.Collectors.Delivery;

/// <summary>The one seam between delivery and the broker client (JetStream in production, fakes in unit tests).</summary>
internal interface IBatchPublisher : IAsyncDisposable
{
    /// <summary>False while the connection is down; the shipper then spools instead of publishing.</summary>
    bool IsConnected { get; }

    /// <summary>The outer await waits for a window slot and sends; the returned task completes on the PubAck or faults.</summary>
    ValueTask<Task> PublishAsync(string subject, SealedEnvelope envelope, CancellationToken cancellationToken);
}
