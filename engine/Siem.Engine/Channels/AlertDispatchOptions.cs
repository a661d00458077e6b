namespace Siem.Engine.Channels;

/// <summary>Retry and dead-letter settings for <see cref="AlertDispatcher"/>.</summary>
public sealed record AlertDispatchOptions
{
    public static AlertDispatchOptions Default { get; } = new();

    /// <summary>Attempts per alert and channel, including the first (transient failures only).</summary>
    public int MaxAttempts { get; init; } = 5;
    /// <summary>First retry delay; doubles per attempt, with jitter.</summary>
    public TimeSpan BaseDelay { get; init; } = TimeSpan.FromMilliseconds(500);
    public TimeSpan MaxDelay { get; init; } = TimeSpan.FromSeconds(30);
    /// <summary>JSON-lines file (mode 0600) for alerts no channel attempt could deliver; null = not written (still counted and logged).</summary>
    public string? DeadLetterPath { get; init; }
    /// <summary>JSON-lines file (mode 0600) recording every delivery outcome (delivered or not); null = not written.</summary>
    public string? DeliveryLogPath { get; init; }
}
