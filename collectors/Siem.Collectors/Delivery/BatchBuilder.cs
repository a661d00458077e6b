using System.Buffers;
using System.Text.Json;
using Siem.Collectors.Sources;
using Siem.Core.Events;

namespace Siem.Collectors.Delivery;

/// <summary>
/// Accumulates one batch: events encoded straight into a reused buffer as JSON lines (so its size is exact),
/// and per source stream the last line whose events are all in this batch or an earlier one (the commit mark).
/// </summary>
internal sealed class BatchBuilder
{
    private readonly ArrayBufferWriter<byte> _buffer = new(64 * 1024);
    private readonly Utf8JsonWriter _writer;
    private readonly Dictionary<(ILogSource Source, string Key), RawLine> _marks = [];
    private long _startedAt;
    private ArrayBufferWriter<byte>? _scratch;

    public BatchBuilder()
    {
        _writer = new Utf8JsonWriter(_buffer, LogEventJson.BatchWriterOptions);
    }

    public int Records { get; private set; }
    public bool HasMarks => _marks.Count > 0;
    public int Bytes => _buffer.WrittenCount;

    /// <summary><see cref="Environment.TickCount64"/> when the first record went in.</summary>
    public long StartedAt => _startedAt;

    public void Add(List<LogEvent> events)
    {
        foreach (var e in events) Add(e);
    }

    /// <summary>Adds one event (see <see cref="Add(List{LogEvent})"/>).</summary>
    public void Add(LogEvent e)
    {
        if (Records == 0) _startedAt = Environment.TickCount64;
        LogEventJson.Write(_writer, e);
        _writer.Flush();
        _buffer.Write("\n"u8);
        _writer.Reset(_buffer);
        Records++;
    }

    /// <summary>Bytes <paramref name="e"/> would add to the batch (encoded aside; for the rare big event only).</summary>
    public int Measure(LogEvent e)
    {
        _scratch ??= new ArrayBufferWriter<byte>(64 * 1024);
        _scratch.ResetWrittenCount();
        using var writer = new Utf8JsonWriter(_scratch, LogEventJson.BatchWriterOptions);
        LogEventJson.Write(writer, e);
        writer.Flush();
        return _scratch.WrittenCount + 1;
    }

    public void Mark(ILogSource source, in RawLine line) => _marks[(source, line.SourceKey)] = line;

    /// <summary>The batch so far, valid until the next <see cref="Add"/> or <see cref="Take"/>: seal straight from it, no copy.</summary>
    public ReadOnlySpan<byte> Plaintext => _buffer.WrittenSpan;

    /// <summary>Returns the batch's record count and commit marks and starts a new batch.</summary>
    public (int Records, CommitMark[] Marks) Take()
    {
        var marks = new CommitMark[_marks.Count];
        var i = 0;
        foreach (var (key, line) in _marks) marks[i++] = new CommitMark(key.Source, line);
        var records = Records;
        _buffer.ResetWrittenCount();
        _writer.Reset(_buffer);
        _marks.Clear();
        Records = 0;
        return (records, marks);
    }
}
