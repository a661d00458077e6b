namespace Siem.Collectors.Delivery;

/// <summary>Delivery limits. Defaults: 32 batches and 2 MiB in flight, PubAck timeout 5 s.</summary>
public sealed record ShipperOptions
{
    public static ShipperOptions Default { get; } = new();

    /// <summary>Batches published but not yet acknowledged (and not yet committed). When full, the pipeline waits.</summary>
    public int MaxInFlight { get; init; } = 32;

    /// <summary>Bytes of those batches (sealed bodies, each held in memory until its PubAck); one batch is always allowed.
    /// The agent's memory bound at full rate: 32 full batches would hold ~10 MiB on the large-object heap.</summary>
    public long MaxInFlightBytes { get; init; } = 2 * 1024 * 1024;

    public TimeSpan AckTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Pause between drain attempts while the broker refuses or is unreachable.</summary>
    public TimeSpan RetryDelay { get; init; } = TimeSpan.FromMilliseconds(250);
}
