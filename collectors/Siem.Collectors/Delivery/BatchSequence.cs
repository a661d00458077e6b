using System.Globalization;
using Siem.Core.Security;

namespace Siem.Collectors.Delivery;

/// <summary>
/// Monotonic batch sequence that is never reused, even after kill -9: before handing out numbers it durably
/// records a reservation (<c>batch-seq</c> = first number NOT yet reserved; temp + fsync + rename), and after a
/// restart it starts at that reservation. A crash wastes at most one block of numbers, never repeats one — a
/// repeated number would make JetStream drop a different batch as a duplicate (same Nats-Msg-Id).
/// Thread-safe.
/// </summary>
internal sealed class BatchSequence
{
    private readonly string _path;
    private readonly ulong _block;
    private readonly object _gate = new();
    private ulong _next;
    private ulong _reservedUpTo;

    public BatchSequence(string path, ulong block = 4096)
    {
        _path = path;
        _block = block;
        _next = Load(path);
        _reservedUpTo = _next;
    }

    /// <summary>The next number to hand out (for status).</summary>
    public ulong Peek
    {
        get { lock (_gate) return _next; }
    }

    public ulong Next()
    {
        lock (_gate)
        {
            if (_next >= _reservedUpTo)
            {
                var upTo = _next + _block;
                SecureFile.WriteAllText(_path, upTo.ToString(CultureInfo.InvariantCulture));
                _reservedUpTo = upTo;
            }
            return _next++;
        }
    }

    private static ulong Load(string path)
    {
        if (!File.Exists(path)) return 1;
        var text = File.ReadAllText(path).Trim();
        return ulong.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var v) && v > 0
            ? v
            : throw new InvalidDataException($"{path}: batch sequence reservation '{text}' is not a positive integer; refusing to start (a reused sequence would lose batches to JetStream dedupe). Restore the file or set it above the last sequence in the stream.");
    }
}
