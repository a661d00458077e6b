namespace Siem.Collectors.Sources;

/// <summary>Options of <see cref="FileTailSource"/>.</summary>
public sealed record FileTailOptions
{
    /// <summary>
    /// Absolute glob patterns of the files to follow, e.g. <c>/var/log/*.log</c>, <c>/var/log/**/*.log</c>
    /// (<c>*</c> within a name, <c>**</c> across directories). Relative patterns are resolved against the current directory.
    /// </summary>
    public required IReadOnlyList<string> Paths { get; init; }

    /// <summary>Glob patterns of files to leave alone even though <see cref="Paths"/> matches them (e.g. <c>/var/log/*.gz</c>).</summary>
    public IReadOnlyList<string> Exclude { get; init; } = [];

    /// <summary>Checkpoint file (JSON, written atomically in CommitAsync). Its directory must be writable.</summary>
    public required string CheckpointPath { get; init; }

    /// <summary>Longest line kept (default 1 MiB); a longer line keeps its first part, flagged <see cref="RawLine.Truncated"/>.</summary>
    public int MaxLineBytes { get; init; } = 1024 * 1024;

    /// <summary>Bytes read from a file at a time (default 64 KiB, pooled).</summary>
    public int ReadBufferBytes { get; init; } = 64 * 1024;

    /// <summary>How long to wait when no file has new data before looking again (default 250 ms; file events wake earlier).</summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromMilliseconds(250);

    /// <summary>How often the glob patterns are expanded again to find new and rotated files (default 2 s; file events trigger it earlier).</summary>
    public TimeSpan ScanInterval { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// A last line without '\n' is held this long (default 5 s) after the file stopped growing, then shipped as a line;
    /// text appended to it later becomes a line of its own.
    /// </summary>
    public TimeSpan PartialLineTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// A file no longer at a matching path (rotated away, deleted) is read to its end and kept open this long after it last
    /// grew (default 10 s), because a writer may still be writing to it until it reopens its log.
    /// </summary>
    public TimeSpan RotatedFileGrace { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// On the very first start (no checkpoint file yet) begin existing files at their end instead of their beginning.
    /// Default false: a security agent ships what is already there. Files that appear later are always read from the start.
    /// </summary>
    public bool StartAtEnd { get; init; }

    /// <summary>Clock for the idle timeouts; tests may inject their own.</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;
}
