using System.Buffers;
using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using Microsoft.Win32.SafeHandles;

namespace Siem.Lineage.Purge;

/// <summary>
/// The last word of a verification: every regular file under the data dir, read as raw bytes, searched for the raw
/// value (as a token, see <see cref="SubjectValueMatcher"/>) and for the pseudonymous subject id. The subject id is
/// expected (by design) only where the purge itself is recorded: the audit log, the purge jobs, certificates and
/// forward filter under <c>purge/</c>, and the ledger's tombstone; those places are not counted for the id, but are
/// scanned for the raw value like every other file. Run it after the stores were stopped or checkpointed
/// (SQLite WAL truncated, nats-server stopped), or recent writes may not be in the files yet.
/// Every byte is read once for both needles: files are cut into segments read with positional reads (each segment
/// with enough of its neighbours to see a match that crosses its edge and the bytes around it), searched with
/// vectorised span searches, on every core in parallel; a match counts in the segment where it starts.
/// </summary>
public static class DataDirByteScan
{
    public const string StoreName = "data-dir-bytes";
    private const int DefaultSegmentSize = 8 << 20;

    /// <summary>Relative paths (with '/') where the subject id is allowed to remain.</summary>
    public static bool SubjectIdAllowed(string relative) =>
        relative.StartsWith("audit/", StringComparison.Ordinal)
        || relative.StartsWith("purge/", StringComparison.Ordinal)
        || relative.StartsWith("lineage/ledger.db", StringComparison.Ordinal);

    public static Task<PurgeStoreCheck> ScanAsync(string dataDir, SubjectValueMatcher? value, string subjectId, CancellationToken cancellationToken = default) =>
        ScanAsync(dataDir, value, subjectId, DefaultSegmentSize, cancellationToken);

    /// <summary>The scan with another segment size (tests put matches across segment edges without 8 MB files).</summary>
    internal static Task<PurgeStoreCheck> ScanAsync(string dataDir, SubjectValueMatcher? value, string subjectId, int segmentSize, CancellationToken cancellationToken)
    {
        var root = Path.GetFullPath(dataDir);
        if (!Directory.Exists(root)) return Task.FromResult(new PurgeStoreCheck(StoreName, value == null ? -1 : 0, 0, [$"data dir {root} does not exist"]));
        return Task.Run(() => Scan(root, value, Encoding.ASCII.GetBytes(subjectId), segmentSize, cancellationToken), cancellationToken);
    }

    private sealed record FileScan(string Relative, SafeFileHandle? Handle, long Length, bool CountIds)
    {
        public long Raw;
        public long Ids;
    }

    private static PurgeStoreCheck Scan(string root, SubjectValueMatcher? value, byte[] idNeedle, int segmentSize, CancellationToken cancellationToken)
    {
        var files = new List<FileScan>();
        var segments = new List<(FileScan File, long Start)>();
        try
        {
            foreach (var path in Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
            {
                var rel = Path.GetRelativePath(root, path).Replace(Path.DirectorySeparatorChar, '/');
                SafeFileHandle handle;
                try
                {
                    handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
                }
                catch (FileNotFoundException)
                {
                    continue; // removed while scanning (a temp file): nothing left to hold the value
                }
                catch (DirectoryNotFoundException)
                {
                    continue;
                }
                var file = new FileScan(rel, handle, RandomAccess.GetLength(handle), !SubjectIdAllowed(rel));
                files.Add(file);
                for (long start = 0; start < file.Length; start += segmentSize) segments.Add((file, start));
            }
            int overlap = Math.Max(value?.MaxNeedleBytes ?? 0, idNeedle.Length) + 1;
            var options = new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount, CancellationToken = cancellationToken };
            Parallel.ForEach(segments, options, () => ArrayPool<byte>.Shared.Rent(segmentSize + 2 * overlap), (segment, _, buffer) =>
            {
                var (raw, ids) = ScanSegment(segment.File, segment.Start, segmentSize, buffer, overlap, value, idNeedle);
                if (raw > 0) Interlocked.Add(ref segment.File.Raw, raw);
                if (ids > 0) Interlocked.Add(ref segment.File.Ids, ids);
                return buffer;
            }, buffer => ArrayPool<byte>.Shared.Return(buffer));
        }
        finally
        {
            foreach (var f in files) f.Handle?.Dispose();
        }

        long rawHits = value == null ? -1 : 0, idHits = 0, bytes = 0;
        var where = new List<string>();
        foreach (var f in files)
        {
            bytes += f.Length;
            if (f.Raw > 0)
            {
                rawHits += f.Raw;
                where.Add(string.Create(CultureInfo.InvariantCulture, $"{f.Relative}: raw value x{f.Raw}"));
            }
            if (f.Ids > 0)
            {
                idHits += f.Ids;
                where.Add(string.Create(CultureInfo.InvariantCulture, $"{f.Relative}: subject id x{f.Ids}"));
            }
        }
        where.Insert(0, string.Create(CultureInfo.InvariantCulture, $"scanned {files.Count} files, {bytes} bytes"));
        return new PurgeStoreCheck(StoreName, rawHits, idHits, where);
    }

    /// <summary>Counts the matches that start in [start, start + segmentSize) of the file, reading <paramref name="overlap"/>
    /// bytes on either side so a match crossing the edge and its neighbouring bytes (the token boundaries) are seen.</summary>
    private static (long Raw, long Ids) ScanSegment(FileScan file, long start, int segmentSize, byte[] buffer, int overlap, SubjectValueMatcher? value, byte[] idNeedle)
    {
        long from = Math.Max(0, start - overlap);
        long end = Math.Min(file.Length, start + segmentSize + overlap);
        int length = ReadFully(file.Handle!, buffer.AsSpan(0, (int)(end - from)), from);
        var data = new ReadOnlySpan<byte>(buffer, 0, length);
        int firstStart = (int)(start - from);
        int lastStart = (int)Math.Min(length, start + segmentSize - from); // exclusive
        if (firstStart >= lastStart) return (0, 0);
        long raw = value?.CountStartingIn(data, firstStart, lastStart) ?? 0;
        long ids = file.CountIds ? CountOrdinalStartingIn(data, idNeedle, firstStart, lastStart) : 0;
        return (raw, ids);
    }

    /// <summary>Reads until the span is full or the file ends (a file shrinking meanwhile just yields fewer bytes).</summary>
    private static int ReadFully(SafeFileHandle handle, Span<byte> into, long offset)
    {
        int total = 0;
        while (total < into.Length)
        {
            int n = RandomAccess.Read(handle, into[total..], offset + total);
            if (n == 0) break;
            total += n;
        }
        return total;
    }

    private static long CountOrdinalStartingIn(ReadOnlySpan<byte> data, ReadOnlySpan<byte> needle, int firstStart, int lastStart)
    {
        long n = 0;
        int offset = firstStart, i;
        var window = data[..Math.Min(data.Length, lastStart + needle.Length - 1)];
        while (offset < lastStart && (i = window[offset..].IndexOf(needle)) >= 0)
        {
            if (offset + i >= lastStart) break;
            n++;
            offset += i + needle.Length;
        }
        return n;
    }
}
