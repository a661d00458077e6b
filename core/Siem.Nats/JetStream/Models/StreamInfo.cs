namespace Siem.Nats.JetStream;

/// <summary>A stream's configuration (as the server applied it, defaults filled in) and state.</summary>
public sealed record StreamInfo
{
    public StreamConfig Config { get; init; } = new();
    public DateTimeOffset Created { get; init; }
    public StreamState State { get; init; } = new();
}
