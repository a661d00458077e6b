using System.Globalization;

namespace Siem.Collectors.Spool;

internal sealed partial class DiskSpool
{
    private string CursorPath => Path.Combine(_dir, "cursor");

    /// <summary>Lists segments, validates every record, truncates at the first torn/corrupt one, and restores the cursor.</summary>
    private void Recover()
    {
        var files = Directory.GetFiles(_dir, "*.seg")
            .Select(p => (Path: p, Ok: long.TryParse(Path.GetFileNameWithoutExtension(p), NumberStyles.None, CultureInfo.InvariantCulture, out var n), Number: n))
            .Where(f => f.Ok)
            .OrderBy(f => f.Number)
            .ToList();
        for (var i = 0; i < files.Count; i++)
        {
            // A corrupt record can only come from a torn append (the tail), but any segment is checked: records
            // after a corrupt one cannot be framed, so the segment is cut there and the loss counted.
            var segment = new Segment(files[i].Number, files[i].Path);
            using (var fs = new FileStream(segment.Path, FileMode.Open, FileAccess.ReadWrite, FileShare.Read))
            {
                var fileLength = fs.Length;
                while (ReadRecord(fs, fileLength) is { } payload)
                {
                    segment.Length += RecordHeader + payload.Length;
                    segment.Records++;
                }
                if (segment.Length < fileLength)
                {
                    TruncatedBytesOnOpen += fileLength - segment.Length;
                    fs.SetLength(segment.Length);
                    fs.Flush(flushToDisk: true);
                }
            }
            _segments.Add(segment);
        }
        ReadCursor();
        RewindReads();
    }

    private void ReadCursor()
    {
        _cursorOffset = 0;
        _cursorRecords = 0;
        if (_segments.Count == 0 || !File.Exists(CursorPath)) return;
        var parts = File.ReadAllText(CursorPath).Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length != 3
            || !long.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var segment)
            || !long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var offset)
            || !int.TryParse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture, out var records))
        {
            return; // unreadable cursor: re-send from the start; JetStream dedupes by Nats-Msg-Id
        }
        // Segments before the cursor's were fully acknowledged (deletion may not have happened before a crash).
        while (_segments.Count > 1 && _segments[0].Number < segment) DeleteHead();
        if (_segments[0].Number == segment && offset <= _segments[0].Length && records <= _segments[0].Records)
        {
            _cursorOffset = offset;
            _cursorRecords = records;
        }
    }

    private void WriteCursor()
    {
        var text = _segments.Count == 0 ? "0 0 0" : string.Create(CultureInfo.InvariantCulture, $"{_segments[0].Number} {_cursorOffset} {_cursorRecords}");
        var tmp = CursorPath + ".tmp";
        File.WriteAllText(tmp, text);
        File.Move(tmp, CursorPath, overwrite: true);
    }
}
