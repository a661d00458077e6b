namespace Siem.Nats;

/// <summary>Counters of one connection since it was created (all reconnects included).</summary>
/// <param name="InMsgs">Messages received for subscriptions and requests.</param>
/// <param name="InBytes">Payload + header bytes of those messages.</param>
/// <param name="OutMsgs">Messages published (buffered for sending).</param>
/// <param name="OutBytes">Payload + header bytes of those messages.</param>
/// <param name="Reconnects">Successful reconnects after a lost connection.</param>
/// <param name="Disconnects">Connections lost (socket closed, protocol error, stale PINGs).</param>
public readonly record struct NatsConnectionStats(long InMsgs, long InBytes, long OutMsgs, long OutBytes, long Reconnects, long Disconnects);
