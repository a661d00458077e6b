using System.Globalization;
using System.Text;

namespace Siem.Lineage.Purge;

/// <summary>
/// The last word of a verification: every regular file under the data dir, read as raw bytes, searched for the raw
/// value (as a token, see <see cref="SubjectValueMatcher"/>) and for the pseudonymous subject id. The subject id is
/// expected (by design) only where the purge itself is recorded: the audit log, the purge jobs, certificates and
/// forward filter under <c>purge/</c>, and the ledger's tombstone; those places are not counted for the id, but are
/// scanned for the raw value like every other file. Run it after the stores were stopped or checkpointed
/// (SQLite WAL truncated, nats-server stopped), or recent writes may not be in the files yet.
/// </summary>
public static class DataDirByteScan
{
    public const string StoreName = "data-dir-bytes";
    private const int ChunkSize = 4 << 20;

    /// <summary>Relative paths (with '/') where the subject id is allowed to remain.</summary>
    public static bool SubjectIdAllowed(string relative) =>
        relative.StartsWith("audit/", StringComparison.Ordinal)
        || relative.StartsWith("purge/", StringComparison.Ordinal)
        || relative.StartsWith("lineage/ledger.db", StringComparison.Ordinal);

    public static async Task<PurgeStoreCheck> ScanAsync(string dataDir, SubjectValueMatcher? value, string subjectId, CancellationToken cancellationToken = default)
    {
        var root = Path.GetFullPath(dataDir);
        var idNeedle = Encoding.ASCII.GetBytes(subjectId);
        long rawHits = value == null ? -1 : 0, idHits = 0, files = 0, bytes = 0;
        var where = new List<string>();
        if (!Directory.Exists(root)) return new PurgeStoreCheck(StoreName, rawHits, 0, [$"data dir {root} does not exist"]);
        foreach (var file in Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            cancellationToken.ThrowIfCancellationRequested();
            var rel = Path.GetRelativePath(root, file).Replace(Path.DirectorySeparatorChar, '/');
            var (raw, ids, size) = await ScanFileAsync(file, value, SubjectIdAllowed(rel) ? null : idNeedle, cancellationToken).ConfigureAwait(false);
            files++;
            bytes += size;
            if (raw > 0)
            {
                rawHits += raw;
                where.Add(string.Create(CultureInfo.InvariantCulture, $"{rel}: raw value x{raw}"));
            }
            if (ids > 0)
            {
                idHits += ids;
                where.Add(string.Create(CultureInfo.InvariantCulture, $"{rel}: subject id x{ids}"));
            }
        }
        where.Insert(0, string.Create(CultureInfo.InvariantCulture, $"scanned {files} files, {bytes} bytes"));
        return new PurgeStoreCheck(StoreName, rawHits, idHits, where);
    }

    private static async Task<(long Raw, long Ids, long Size)> ScanFileAsync(string file, SubjectValueMatcher? value, byte[]? idNeedle, CancellationToken cancellationToken)
    {
        FileStream fs;
        try
        {
            fs = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1, FileOptions.SequentialScan);
        }
        catch (FileNotFoundException)
        {
            return (0, 0, 0); // removed while scanning (a temp file): nothing left to hold the value
        }
        await using (fs)
        {
            int overlap = Math.Max(value?.MaxNeedleBytes ?? 0, idNeedle?.Length ?? 0) + 1;
            var buffer = new byte[ChunkSize + overlap];
            long raw = 0, ids = 0, size = 0;
            int carried = 0;
            while (true)
            {
                int read = await fs.ReadAsync(buffer.AsMemory(carried, ChunkSize), cancellationToken).ConfigureAwait(false);
                if (read == 0) break;
                size += read;
                int length = carried + read;
                // Count matches that start in the new part only (the carried bytes were counted with the previous chunk),
                // but let them see the carried bytes as their left neighbour.
                var window = buffer.AsSpan(0, length);
                if (value != null) raw += value.Count(window) - (carried > 0 ? value.Count(buffer.AsSpan(0, carried)) : 0);
                if (idNeedle != null) ids += CountOrdinal(window, idNeedle) - (carried > 0 ? CountOrdinal(buffer.AsSpan(0, carried), idNeedle) : 0);
                carried = Math.Min(overlap, length);
                buffer.AsSpan(length - carried, carried).CopyTo(buffer);
            }
            return (raw, ids, size);
        }
    }

    private static long CountOrdinal(ReadOnlySpan<byte> data, ReadOnlySpan<byte> needle)
    {
        long n = 0;
        int at;
        while ((at = data.IndexOf(needle)) >= 0)
        {
            n++;
            data = data[(at + needle.Length)..];
        }
        return n;
    }
}
