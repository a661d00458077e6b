namespace Siem.Collectors.Spool;

internal sealed partial class DiskSpool
{
    /// <summary>
    /// Recently appended batches stay in memory (they are referenced by the caller anyway until published), so the
    /// publisher, which reads right behind the writer, does not read back, check and decode what was just written.
    /// Bounded by bytes; what falls out (a broker outage lets the spool grow) is read from disk as before.
    /// </summary>
    internal const long RecentBytesLimit = 1L * 1024 * 1024; // ~3 full batches: siem bench agent GC heap 19.6 -> 13.6 MiB vs 4 MiB

    /// <summary>Bytes appended but not yet handed out by <see cref="ReadNext"/>: while this stays under
    /// <see cref="RecentBytesLimit"/>, the publisher reads them from memory, never back from disk.</summary>
    public long UnreadBytes
    {
        get
        {
            if (_readSegment >= _segments.Count) return 0;
            var bytes = -(_readSegment == 0 ? Math.Max(_readOffset, _cursorOffset) : _readOffset);
            for (var i = _readSegment; i < _segments.Count; i++) bytes += _segments[i].Length;
            return bytes;
        }
    }

    private readonly Queue<(long Segment, long Offset)> _recentOrder = new();
    private readonly Dictionary<(long Segment, long Offset), SpoolEntry> _recent = [];
    private long _recentBytes;

    private void Remember(Segment segment, long offset, SpoolEntry entry)
    {
        var key = (segment.Number, offset);
        _recentOrder.Enqueue(key);
        _recent[key] = entry;
        _recentBytes += entry.StoredSize;
        while (_recentBytes > RecentBytesLimit && _recentOrder.Count > 0) EvictOldestRecent();
    }

    private SpoolEntry? Recall(Segment segment, long offset) => _recent.GetValueOrDefault((segment.Number, offset));

    /// <summary>Drops remembered entries of <paramref name="segment"/> and older ones (the segment is being deleted).</summary>
    private void ForgetSegment(Segment segment)
    {
        while (_recentOrder.Count > 0 && _recentOrder.Peek().Segment <= segment.Number) EvictOldestRecent();
    }

    /// <summary>Drops remembered entries before the cursor: they are acknowledged and never read again.</summary>
    private void ForgetAcknowledged()
    {
        var head = _segments.Count > 0 ? _segments[0].Number : long.MaxValue;
        while (_recentOrder.Count > 0 && (_recentOrder.Peek().Segment < head || (_recentOrder.Peek().Segment == head && _recentOrder.Peek().Offset < _cursorOffset)))
        {
            EvictOldestRecent();
        }
    }

    private void EvictOldestRecent()
    {
        var key = _recentOrder.Dequeue();
        if (_recent.Remove(key, out var entry)) _recentBytes -= entry.StoredSize;
    }
}
