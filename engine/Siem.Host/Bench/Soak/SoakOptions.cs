namespace Siem.Host.Bench.Soak;

/// <summary>How a soak run is shaped. Warm-up: RSS growth is measured from the samples right after it (the baseline)
/// to the last samples of the load phase, so start-up allocation (JIT, pools, SQLite cache) does not count as growth.</summary>
internal sealed record SoakOptions
{
    public required TimeSpan Duration { get; init; }
    /// <summary>Offered lines per second, summed over the agents.</summary>
    public required int Rate { get; init; }
    public int Agents { get; init; } = 2;
    public TimeSpan Interval { get; init; } = TimeSpan.FromSeconds(5);
    /// <summary>Default: a quarter of the run, at most 60 s.</summary>
    public TimeSpan? Warmup { get; init; }
    public required string ReportDir { get; init; }
    public bool KeepWorkDir { get; init; }
    /// <summary>Engine messages per pull and per index write (a message = one agent batch, up to 500 records here).</summary>
    public int EngineBatchMessages { get; init; } = 16;
    /// <summary>Engine messages buffered between the pull and the writer.</summary>
    public int EngineBufferMessages { get; init; } = 32;

    public TimeSpan EffectiveWarmup => Warmup ?? TimeSpan.FromTicks(Math.Min(Duration.Ticks / 4, TimeSpan.FromSeconds(60).Ticks));
}
