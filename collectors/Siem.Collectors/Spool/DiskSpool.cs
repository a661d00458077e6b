using System.Buffers.Binary;
using System.Globalization;

namespace Siem.Collectors.Spool;

/// <summary>
/// Bounded, append-only on-disk queue of sealed batches used while the broker is unreachable.
/// Files: <c>NNNNNNNNNNNNNNNNNNNN.seg</c> segments (record = u32 length | u32 CRC-32 of payload | payload) and
/// <c>cursor</c> ("segment offset records") = first record not yet acknowledged by JetStream.
/// Durability: appends are fsynced (unless <see cref="SpoolOptions.FsyncOnAppend"/> is off) before the caller
/// advances source checkpoints; the cursor is rewritten atomically but not fsynced, so after a power loss a few
/// batches may be re-sent — they carry the same Nats-Msg-Id and JetStream drops the duplicates.
/// A torn or corrupt tail (crash mid-append) is truncated on open, never fatal.
/// Not thread-safe: the shipper serialises access.
/// </summary>
internal sealed partial class DiskSpool : IDisposable
{
    internal const int RecordHeader = 8;
    private readonly string _dir;
    private readonly SpoolOptions _options;
    private readonly List<Segment> _segments = [];
    private FileStream? _writer;
    private long _cursorOffset;
    private int _cursorRecords;
    private int _peekedSize;
    private int _readSegment;
    private long _readOffset;

    public DiskSpool(string dir, SpoolOptions options)
    {
        _dir = dir;
        _options = options;
        Directory.CreateDirectory(dir);
        Recover();
    }

    /// <summary>Bytes of records not yet acknowledged (what counts against <see cref="SpoolOptions.MaxBytes"/>).</summary>
    public long PendingBytes => _segments.Sum(s => s.Length) - _cursorOffset;

    /// <summary>Batches not yet acknowledged.</summary>
    public long PendingBatches => _segments.Sum(s => (long)s.Records) - _cursorRecords;

    public int SegmentCount => _segments.Count;

    public bool IsEmpty => PendingBatches == 0;

    /// <summary>Bytes cut off a torn/corrupt tail when the spool was opened.</summary>
    public long TruncatedBytesOnOpen { get; private set; }

    /// <summary>Appends one batch; false when it does not fit in <see cref="SpoolOptions.MaxBytes"/> (nothing written).</summary>
    public bool TryAppend(SpoolEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        var prefix = entry.EncodePrefix();
        var body = entry.Envelope.Body;
        var payloadLength = prefix.Length + body.Length;
        var size = RecordHeader + payloadLength;
        if (PendingBytes + size > _options.MaxBytes) return false;
        var tail = _segments.Count > 0 ? _segments[^1] : null;
        if (tail == null || (tail.Length > 0 && tail.Length + size > _options.SegmentBytes)) tail = Roll();
        _writer ??= OpenWriter(tail);
        Span<byte> header = stackalloc byte[RecordHeader];
        BinaryPrimitives.WriteInt32LittleEndian(header, payloadLength);
        BinaryPrimitives.WriteUInt32LittleEndian(header[4..], Crc32.Compute(body, Crc32.Compute(prefix)));
        _writer.Write(header);
        _writer.Write(prefix);
        _writer.Write(body);
        if (_options.FsyncOnAppend) _writer.Flush(flushToDisk: true);
        else _writer.Flush();
        Remember(tail, tail.Length, entry with { StoredSize = size });
        tail.Length += size;
        tail.Records++;
        return true;
    }

    /// <summary>The oldest batch not yet acknowledged, or null when the spool is empty.</summary>
    public SpoolEntry? Peek()
    {
        while (_segments.Count > 0)
        {
            var head = _segments[0];
            if (_cursorOffset < head.Length)
            {
                using var fs = new FileStream(head.Path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
                fs.Position = _cursorOffset;
                var payload = ReadRecord(fs, head.Length) ?? throw new InvalidDataException($"{head.Path}: record at {_cursorOffset} is corrupt");
                _peekedSize = RecordHeader + payload.Length;
                return SpoolEntry.Decode(payload, _peekedSize);
            }
            if (_segments.Count == 1) return null;
            DeleteHead();
        }
        return null;
    }

    /// <summary>
    /// Reads the next entry after the last one read (read-ahead for publishing with many acks in flight);
    /// null when everything appended has been read. <see cref="RewindReads"/> goes back to the oldest unacknowledged one.
    /// </summary>
    public SpoolEntry? ReadNext()
    {
        while (_readSegment < _segments.Count)
        {
            var segment = _segments[_readSegment];
            var start = _readSegment == 0 ? Math.Max(_readOffset, _cursorOffset) : _readOffset;
            if (start < segment.Length)
            {
                if (Recall(segment, start) is { } recent)
                {
                    _readOffset = start + recent.StoredSize;
                    return recent;
                }
                using var fs = new FileStream(segment.Path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
                fs.Position = start;
                var payload = ReadRecord(fs, segment.Length) ?? throw new InvalidDataException($"{segment.Path}: record at {start} is corrupt");
                _readOffset = start + RecordHeader + payload.Length;
                return SpoolEntry.Decode(payload, RecordHeader + payload.Length);
            }
            if (_readSegment == _segments.Count - 1) return null;
            _readSegment++;
            _readOffset = 0;
        }
        return null;
    }

    public void RewindReads()
    {
        _readSegment = 0;
        _readOffset = _cursorOffset;
    }

    /// <summary>Marks the oldest unacknowledged entry (returned by <see cref="Peek"/> or <see cref="ReadNext"/>) as acknowledged.</summary>
    public void Advance(SpoolEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        _peekedSize = entry.StoredSize;
        Advance();
    }

    /// <summary>Marks the batch returned by <see cref="Peek"/> as acknowledged.</summary>
    public void Advance()
    {
        if (_peekedSize == 0 && Peek() == null) throw new InvalidOperationException("the spool is empty");
        var head = _segments[0];
        _cursorOffset += _peekedSize;
        _cursorRecords++;
        _peekedSize = 0;
        if (_cursorOffset >= head.Length && _segments.Count > 1) DeleteHead();
        else if (_cursorOffset >= head.Length && _segments.Count == 1) ResetEmpty();
        ForgetAcknowledged();
        WriteCursor();
    }

    /// <summary>Drop-oldest policy: deletes the oldest segment (or, if it is the only one, everything) and returns the batches and records lost.</summary>
    public (long Batches, long Records) DropOldest()
    {
        if (_segments.Count == 0) return (0, 0);
        _peekedSize = 0;
        var head = _segments[0];
        long batches = 0, records = 0;
        using (var fs = new FileStream(head.Path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete))
        {
            fs.Position = _cursorOffset;
            while (ReadRecord(fs, head.Length) is { } payload)
            {
                batches++;
                records += BinaryPrimitives.ReadInt32LittleEndian(payload.AsSpan(9));
            }
        }
        if (_segments.Count == 1) ResetEmpty();
        else DeleteHead();
        WriteCursor();
        return (batches, records);
    }

    /// <summary>Forces appended entries to disk (used before trusting them after a restart).</summary>
    public void Sync() => _writer?.Flush(flushToDisk: true);

    /// <summary>Every pending entry, oldest first, without moving any cursor (crash recovery reads the coverage).</summary>
    public List<SpoolEntry> ReadAllPending()
    {
        var saveSegment = _readSegment;
        var saveOffset = _readOffset;
        RewindReads();
        var all = new List<SpoolEntry>();
        while (ReadNext() is { } e) all.Add(e);
        _readSegment = saveSegment;
        _readOffset = saveOffset;
        return all;
    }

    public void Dispose()
    {
        _writer?.Dispose();
        _writer = null;
    }

    private static byte[]? ReadRecord(FileStream fs, long limit)
    {
        Span<byte> header = stackalloc byte[RecordHeader];
        if (fs.Position + RecordHeader > limit || fs.ReadAtLeast(header, RecordHeader, throwOnEndOfStream: false) < RecordHeader) return null;
        var length = BinaryPrimitives.ReadInt32LittleEndian(header);
        var crc = BinaryPrimitives.ReadUInt32LittleEndian(header[4..]);
        if (length <= 0 || fs.Position + length > limit) return null;
        var payload = new byte[length];
        if (fs.ReadAtLeast(payload, length, throwOnEndOfStream: false) < length) return null;
        return Crc32.Compute(payload) == crc ? payload : null;
    }

    private Segment Roll()
    {
        _writer?.Dispose();
        _writer = null;
        var number = _segments.Count > 0 ? _segments[^1].Number + 1 : 1;
        var segment = new Segment(number, Path.Combine(_dir, number.ToString("D20", CultureInfo.InvariantCulture) + ".seg"));
        File.WriteAllBytes(segment.Path, []);
        _segments.Add(segment);
        return segment;
    }

    private static FileStream OpenWriter(Segment segment)
    {
        var fs = new FileStream(segment.Path, FileMode.OpenOrCreate, FileAccess.Write, FileShare.Read | FileShare.Delete);
        fs.Position = segment.Length;
        return fs;
    }

    private void DeleteHead()
    {
        var head = _segments[0];
        ForgetSegment(head);
        if (_segments.Count == 1)
        {
            _writer?.Dispose();
            _writer = null;
        }
        File.Delete(head.Path);
        _segments.RemoveAt(0);
        _cursorOffset = 0;
        _cursorRecords = 0;
        if (_readSegment > 0) _readSegment--;
        else _readOffset = 0;
    }

    /// <summary>Everything acknowledged: start a fresh segment so the spool does not grow a long-dead prefix.</summary>
    private void ResetEmpty()
    {
        var last = _segments[^1].Number;
        while (_segments.Count > 0) DeleteHead();
        var segment = new Segment(last + 1, Path.Combine(_dir, (last + 1).ToString("D20", CultureInfo.InvariantCulture) + ".seg"));
        File.WriteAllBytes(segment.Path, []);
        _segments.Add(segment);
    }

    private sealed class Segment(long number, string path)
    {
        public long Number { get; } = number;
        public string Path { get; } = path;
        public long Length { get; set; }
        public int Records { get; set; }
    }
}
