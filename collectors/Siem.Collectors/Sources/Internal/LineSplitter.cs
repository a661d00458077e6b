using System.Buffers;
using System.Text;

namespace Siem.Collectors.Sources.Internal;

/// <summary>A line cut out of a byte stream. Offsets are stream positions; <see cref="NextOffset"/> is after the terminator.</summary>
internal readonly record struct SplitLine(long Offset, long NextOffset, string Text, bool Truncated, bool InvalidUtf8)
{
    public long ByteCount => NextOffset - Offset;
}

/// <summary>
/// Splits a byte stream into lines on '\n' (and optionally NUL, for syslog newline framing), strips a trailing '\r',
/// decodes UTF-8 with replacement. Memory is bounded by <c>maxLineBytes</c>: a longer line keeps its first
/// <c>maxLineBytes</c> bytes (flagged truncated) and the rest is skipped up to its terminator, so a 10 MB line
/// costs one 1 MiB buffer and one string, never more. Bytes of an unfinished line are held (in a pooled buffer)
/// until its terminator arrives or <see cref="FlushPending"/> is called.
/// </summary>
internal sealed class LineSplitter : IDisposable
{
    private const int SmallBuffer = 4096;
    private const int KeepBufferUpTo = 64 * 1024;

    private readonly int _maxLineBytes;
    private readonly bool _nulTerminates;
    private byte[]? _pending;
    private int _pendingLength;
    private bool _skipping;
    private long _lineStart;
    private long _position;

    public LineSplitter(int maxLineBytes, long startOffset = 0, bool nulTerminates = false)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxLineBytes, 1);
        _maxLineBytes = maxLineBytes;
        _nulTerminates = nulTerminates;
        _lineStart = _position = startOffset;
    }

    /// <summary>Stream position after the last byte pushed.</summary>
    public long Position => _position;

    /// <summary>Where the unfinished line (if any) starts; equals <see cref="Position"/> when nothing is held.</summary>
    public long LineStart => _lineStart;

    public bool HasPending => _position > _lineStart;

    /// <summary>Forgets any unfinished line and continues at <paramref name="offset"/> (after a truncation).</summary>
    public void Reset(long offset)
    {
        ClearPending();
        _lineStart = _position = offset;
    }

    public void Push(ReadOnlySpan<byte> chunk, List<SplitLine> output)
    {
        while (!chunk.IsEmpty)
        {
            var end = _nulTerminates ? chunk.IndexOfAny((byte)'\n', (byte)0) : chunk.IndexOf((byte)'\n');
            if (end < 0)
            {
                Append(chunk);
                _position += chunk.Length;
                return;
            }

            var piece = chunk[..end];
            _position += end + 1;
            if (_pendingLength == 0 && !_skipping)
            {
                var truncated = piece.Length > _maxLineBytes;
                Emit(truncated ? piece[.._maxLineBytes] : piece, truncated, output);
            }
            else
            {
                Append(piece);
                Emit(_pending.AsSpan(0, _pendingLength), _skipping, output);
            }

            chunk = chunk[(end + 1)..];
        }
    }

    /// <summary>Emits the unfinished line as a line of its own (idle timeout, end of stream). False if nothing was held.</summary>
    public bool FlushPending(List<SplitLine> output)
    {
        if (!HasPending)
        {
            return false;
        }

        Emit(_pending.AsSpan(0, _pendingLength), _skipping, output);
        return true;
    }

    public void Dispose() => ClearPending(returnBuffer: true);

    private void Append(ReadOnlySpan<byte> bytes)
    {
        if (_skipping)
        {
            return;
        }

        var room = _maxLineBytes - _pendingLength;
        if (bytes.Length > room)
        {
            bytes = bytes[..room];
            _skipping = true;
        }

        var needed = _pendingLength + bytes.Length;
        if (_pending is null || _pending.Length < needed)
        {
            var size = Math.Min(_maxLineBytes, Math.Max(SmallBuffer, Math.Max(needed, (_pending?.Length ?? 0) * 2)));
            var bigger = ArrayPool<byte>.Shared.Rent(size);
            if (_pending is not null)
            {
                _pending.AsSpan(0, _pendingLength).CopyTo(bigger);
                ArrayPool<byte>.Shared.Return(_pending);
            }

            _pending = bigger;
        }

        bytes.CopyTo(_pending.AsSpan(_pendingLength));
        _pendingLength += bytes.Length;
    }

    private void Emit(ReadOnlySpan<byte> line, bool truncated, List<SplitLine> output)
    {
        if (truncated)
        {
            line = TrimIncompleteSequence(line);
        }
        else if (!line.IsEmpty && line[^1] == (byte)'\r')
        {
            line = line[..^1];
        }

        var invalid = !System.Text.Unicode.Utf8.IsValid(line);
        output.Add(new SplitLine(_lineStart, _position, Encoding.UTF8.GetString(line), truncated, invalid));
        _lineStart = _position;
        ClearPending();
    }

    private void ClearPending(bool returnBuffer = false)
    {
        _pendingLength = 0;
        _skipping = false;
        if (_pending is not null && (returnBuffer || _pending.Length > KeepBufferUpTo))
        {
            ArrayPool<byte>.Shared.Return(_pending);
            _pending = null;
        }
    }

    // A cut at an arbitrary byte may split a multi-byte character; drop the partial character instead of
    // reporting the line as invalid UTF-8 because of our own cut.
    private static ReadOnlySpan<byte> TrimIncompleteSequence(ReadOnlySpan<byte> line)
    {
        var back = 0;
        while (back < 3 && back < line.Length && (line[line.Length - 1 - back] & 0xC0) == 0x80)
        {
            back++;
        }

        if (back < line.Length)
        {
            var lead = line[line.Length - 1 - back];
            var expected = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1;
            if (expected > back + 1)
            {
                return line[..(line.Length - 1 - back)];
            }
        }

        return line;
    }
}
