namespace Siem.Nats;

/// <summary>Life cycle of a <see cref="NatsConnection"/>.</summary>
public enum NatsConnectionState
{
    Closed,
    Connecting,
    Open,
    Reconnecting,
}
