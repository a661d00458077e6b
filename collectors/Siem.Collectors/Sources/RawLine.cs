namespace Siem.Collectors.Sources;

/// <summary>
/// One line read by a source.
/// </summary>
/// <param name="Source">The kind of source: "file", "syslog", "journald", "stdin".</param>
/// <param name="SourceKey">
/// Stable identity of the stream the line came from (file: "file:&lt;dev&gt;:&lt;inode&gt;"; syslog: "syslog:udp:&lt;listen port&gt;"
/// or "syslog:tcp:&lt;peer&gt;"; journald: "journald"; stdin: "stdin"). Record ids and checkpoints are keyed by it.
/// </param>
/// <param name="Offset">Byte offset of the line start (files) or a per-source sequence number (syslog, journald, stdin).</param>
/// <param name="NextOffset">Where reading resumes after this line.</param>
/// <param name="Text">The line, decoded as UTF-8 (invalid bytes replaced by U+FFFD), without its terminator.</param>
/// <param name="Peer">Remote endpoint for network sources.</param>
/// <param name="Path">File path for file sources (becomes <c>log.file.path</c>).</param>
public readonly record struct RawLine(string Source, string SourceKey, long Offset, long NextOffset, string Text, string? Peer = null, string? Path = null)
{
    /// <summary>
    /// True when the line was longer than the source's maximum and <see cref="Text"/> holds only its first part;
    /// the rest was skipped (counted in <c>siem.agent.source.lines.truncated</c>). Parsers should tag the event.
    /// </summary>
    public bool Truncated { get; init; }

    /// <summary>True when the raw bytes were not valid UTF-8 and were decoded with replacement characters.</summary>
    public bool InvalidUtf8 { get; init; }

    /// <summary>
    /// Source-specific resume token that <see cref="ILogSource.CommitAsync"/> persists (journald: the entry's __CURSOR).
    /// Null for sources that resume by offset.
    /// </summary>
    public string? Cursor { get; init; }

    /// <summary>The source's configured <c>module:</c> (<c>event.module</c> of its records unless a record names its own), or null.</summary>
    public string? Module { get; init; }
}
