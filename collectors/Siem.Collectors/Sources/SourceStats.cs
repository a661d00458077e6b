using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Siem.Collectors.Sources;

/// <summary>
/// Counters of one source. Every increment is also published on the <c>Siem.Agent</c> meter, tagged with the
/// source's name, so OpenTelemetry exporters see them; the fields here let status output and tests read one
/// source's numbers without a listener.
/// </summary>
public sealed class SourceStats
{
    /// <summary>The meter all agent sources publish on.</summary>
    public const string MeterName = "Siem.Agent";

    private static readonly Meter s_meter = new(MeterName);
    private static readonly Counter<long> s_lines = s_meter.CreateCounter<long>("siem.agent.source.lines", "{line}", "Lines (messages) read by a source.");
    private static readonly Counter<long> s_bytes = s_meter.CreateCounter<long>("siem.agent.source.bytes", "By", "Bytes read by a source, terminators included.");
    private static readonly Counter<long> s_truncated = s_meter.CreateCounter<long>("siem.agent.source.lines.truncated", "{line}", "Lines longer than the maximum: the first part was kept, the rest skipped.");
    private static readonly Counter<long> s_invalidUtf8 = s_meter.CreateCounter<long>("siem.agent.source.lines.invalid_utf8", "{line}", "Lines with bytes that are not UTF-8, decoded with U+FFFD.");
    private static readonly Counter<long> s_rotations = s_meter.CreateCounter<long>("siem.agent.source.rotations", "{rotation}", "Files replaced at their path (rename rotation).");
    private static readonly Counter<long> s_truncations = s_meter.CreateCounter<long>("siem.agent.source.truncations", "{truncation}", "Files that shrank below the read position (copytruncate, truncation): read again from 0.");
    private static readonly Counter<long> s_errors = s_meter.CreateCounter<long>("siem.agent.source.errors", "{error}", "Errors a source recovered from (unreadable file, broken connection, bad frame).");

    private readonly TagList _tags;
    private long _lines;
    private long _bytes;
    private long _truncatedLines;
    private long _invalidUtf8Lines;
    private long _rotations;
    private long _truncations;
    private long _errors;

    public SourceStats(string sourceName)
    {
        SourceName = sourceName;
        _tags = new TagList { { "source", sourceName } };
    }

    public string SourceName { get; }

    public long Lines => Interlocked.Read(ref _lines);

    public long Bytes => Interlocked.Read(ref _bytes);

    public long TruncatedLines => Interlocked.Read(ref _truncatedLines);

    public long InvalidUtf8Lines => Interlocked.Read(ref _invalidUtf8Lines);

    public long Rotations => Interlocked.Read(ref _rotations);

    public long Truncations => Interlocked.Read(ref _truncations);

    public long Errors => Interlocked.Read(ref _errors);

    internal void AddLine(long bytes, bool truncated, bool invalidUtf8)
    {
        Interlocked.Increment(ref _lines);
        s_lines.Add(1, _tags);
        Interlocked.Add(ref _bytes, bytes);
        s_bytes.Add(bytes, _tags);
        if (truncated)
        {
            Interlocked.Increment(ref _truncatedLines);
            s_truncated.Add(1, _tags);
        }

        if (invalidUtf8)
        {
            Interlocked.Increment(ref _invalidUtf8Lines);
            s_invalidUtf8.Add(1, _tags);
        }
    }

    internal void AddRotation()
    {
        Interlocked.Increment(ref _rotations);
        s_rotations.Add(1, _tags);
    }

    internal void AddTruncation()
    {
        Interlocked.Increment(ref _truncations);
        s_truncations.Add(1, _tags);
    }

    internal void AddError()
    {
        Interlocked.Increment(ref _errors);
        s_errors.Add(1, _tags);
    }
}
