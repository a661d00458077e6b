namespace Siem.Collectors.Delivery;

/// <summary>Delivery limits. Defaults: 32 batches in flight, PubAck timeout 5 s.</summary>
public sealed record ShipperOptions
{
    public static ShipperOptions Default { get; } = new();

    /// <summary>Batches published but not yet acknowledged (and not yet committed). When full, the pipeline waits.</summary>
    public int MaxInFlight { get; init; } = 32;

    public TimeSpan AckTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Pause between drain attempts while the broker refuses or is unreachable.</summary>
    public TimeSpan RetryDelay { get; init; } = TimeSpan.FromMilliseconds(250);
}
