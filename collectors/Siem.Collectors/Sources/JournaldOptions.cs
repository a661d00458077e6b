namespace Siem.Collectors.Sources;

/// <summary>Options of <see cref="JournaldSource"/>.</summary>
public sealed record JournaldOptions
{
    /// <summary>The journalctl executable (default "journalctl" from PATH).</summary>
    public string JournalctlPath { get; init; } = "journalctl";

    /// <summary>File holding the cursor of the last committed entry (written atomically in CommitAsync).</summary>
    public required string CursorPath { get; init; }

    /// <summary>Extra journalctl arguments, e.g. <c>--unit=sshd.service</c> or <c>_TRANSPORT=audit</c> matches.</summary>
    public IReadOnlyList<string> Arguments { get; init; } = [];

    /// <summary>Longest JSON line kept (default 1 MiB); a longer one keeps its first part, flagged <see cref="RawLine.Truncated"/>.</summary>
    public int MaxLineBytes { get; init; } = 1024 * 1024;

    /// <summary>Wait before starting journalctl again after it exited (default 1 s).</summary>
    public TimeSpan RestartDelay { get; init; } = TimeSpan.FromSeconds(1);
}
