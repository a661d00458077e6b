using System.Globalization;
using System.Security.Cryptography;
using NodaTime;
using Siem.Core.Security;

namespace Siem.Lineage.Audit;

/// <summary>
/// The append-only, hash-chained audit log <c>&lt;data&gt;/audit/audit.jsonl</c>: one JSON object per line
/// (seq, time, actor, action, target, details, prev, hash). Each append takes an exclusive lock on the file (other
/// processes, e.g. the API and the CLI, wait), reads the last line for its seq and hash, writes the new line and
/// fsyncs before returning, so an acknowledged entry survives a crash.
/// A crash in the middle of an append leaves a torn last line (no newline). <see cref="VerifyAsync"/> reports it;
/// the next append moves the torn bytes to <c>audit.jsonl.torn-&lt;seq&gt;</c> (kept, never dropped) and records an
/// <c>audit.torn_tail</c> entry naming that file, its size and SHA-256 before continuing the chain.
/// </summary>
public sealed class AuditLog
{
    private static readonly TimeSpan LockTimeout = TimeSpan.FromSeconds(30);
    private readonly IClock _clock;
    private readonly SemaphoreSlim _local = new(1, 1);

    public AuditLog(string dataDir, IClock? clock = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(dataDir);
        Path = System.IO.Path.Combine(System.IO.Path.GetFullPath(dataDir), "audit", "audit.jsonl");
        _clock = clock ?? SystemClock.Instance;
    }

    /// <summary>The log file.</summary>
    public string Path { get; }

    /// <summary>Appends one entry durably and returns it (with its seq and hash). Throws when the log cannot be
    /// extended safely (its last complete line is corrupt): an audit path never continues on a broken chain.</summary>
    public async Task<AuditEntry> AppendAsync(string actor, string action, string target, IReadOnlyDictionary<string, string>? details = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(actor);
        ArgumentException.ThrowIfNullOrEmpty(action);
        ArgumentNullException.ThrowIfNull(target);
        var copy = new Dictionary<string, string>(details ?? new Dictionary<string, string>(), StringComparer.Ordinal);
        await _local.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            Directory.CreateDirectory(System.IO.Path.GetDirectoryName(Path)!);
            await using var fs = await OpenExclusiveAsync(cancellationToken).ConfigureAwait(false);
            var (lastSeq, lastHash) = await ReadTailAsync(fs, cancellationToken).ConfigureAwait(false);
            var entry = Make(lastSeq + 1, actor, action, target, copy, lastHash);
            fs.Seek(0, SeekOrigin.End);
            await fs.WriteAsync(AuditCanonical.Line(entry), cancellationToken).ConfigureAwait(false);
            fs.Flush(flushToDisk: true);
            return entry;
        }
        finally
        {
            _local.Release();
        }
    }

    /// <summary>Reads every line and checks seq order, the prev links and each hash.</summary>
    public async Task<AuditVerification> VerifyAsync(CancellationToken cancellationToken = default)
    {
        if (!File.Exists(Path)) return new AuditVerification(true, 0, null, null, null, AuditCanonical.GenesisHash);
        byte[] all = await File.ReadAllBytesAsync(Path, cancellationToken).ConfigureAwait(false);
        string prev = AuditCanonical.GenesisHash;
        long expected = 1, lineNo = 0;
        int start = 0;
        while (start < all.Length)
        {
            lineNo++;
            int nl = Array.IndexOf(all, (byte)'\n', start);
            if (nl < 0)
                return Broken(expected - 1, expected, lineNo, $"torn: the last line ({all.Length - start} bytes) has no newline; an append was interrupted", prev);
            var span = all.AsSpan(start, nl - start);
            start = nl + 1;
            var e = AuditCanonical.Parse(span, out var problem);
            if (e == null) return Broken(expected - 1, expected, lineNo, problem!, prev);
            if (e.Seq != expected) return Broken(expected - 1, e.Seq, lineNo, $"seq {e.Seq} where {expected} was expected (a line was removed, inserted or reordered)", prev);
            if (!string.Equals(e.PrevHash, prev, StringComparison.Ordinal))
                return Broken(expected - 1, e.Seq, lineNo, "'prev' does not match the hash of the line before (a line was removed or changed)", prev);
            string hash = AuditCanonical.Hash(e.Seq, e.Time, e.Actor, e.Action, e.Target, e.Details, e.PrevHash);
            if (!string.Equals(hash, e.Hash, StringComparison.Ordinal))
                return Broken(expected - 1, e.Seq, lineNo, "the content does not match its hash (the line was edited)", prev);
            prev = e.Hash;
            expected++;
        }
        return new AuditVerification(true, expected - 1, null, null, null, prev);
    }

    /// <summary>Every complete, parseable entry in order (for listing; it does not verify the chain).</summary>
    public async Task<IReadOnlyList<AuditEntry>> ReadAllAsync(CancellationToken cancellationToken = default)
    {
        var list = new List<AuditEntry>();
        if (!File.Exists(Path)) return list;
        foreach (var line in await File.ReadAllLinesAsync(Path, cancellationToken).ConfigureAwait(false))
        {
            var e = AuditCanonical.Parse(System.Text.Encoding.UTF8.GetBytes(line), out _);
            if (e != null) list.Add(e);
        }
        return list;
    }

    private static AuditVerification Broken(long verified, long seq, long line, string problem, string lastHash) =>
        new(false, verified, seq, line, problem, lastHash);

    private AuditEntry Make(long seq, string actor, string action, string target, Dictionary<string, string> details, string prev)
    {
        var now = _clock.GetCurrentInstant();
        return new AuditEntry(seq, now, actor, action, target, details, prev, AuditCanonical.Hash(seq, now, actor, action, target, details, prev));
    }

    private async Task<FileStream> OpenExclusiveAsync(CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + LockTimeout;
        while (true)
        {
            try
            {
                var options = new FileStreamOptions { Mode = FileMode.OpenOrCreate, Access = FileAccess.ReadWrite, Share = FileShare.None };
                if (!OperatingSystem.IsWindows()) options.UnixCreateMode = SecureFile.OwnerOnly;
                return new FileStream(Path, options);
            }
            catch (IOException) when (DateTime.UtcNow < deadline)
            {
                // Another process holds the lock for its append (milliseconds); wait our turn.
                await Task.Delay(20, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Seq and hash of the last complete line; a torn tail is moved aside and recorded first.</summary>
    private async Task<(long Seq, string Hash)> ReadTailAsync(FileStream fs, CancellationToken cancellationToken)
    {
        long length = fs.Length;
        if (length == 0) return (0, AuditCanonical.GenesisHash);
        long from = Math.Max(0, length - 65536);
        byte[] tail = await ReadRangeAsync(fs, from, length, cancellationToken).ConfigureAwait(false);
        int lastNl = Array.LastIndexOf(tail, (byte)'\n');
        if (lastNl < 0 && from > 0)
        {
            from = 0;
            tail = await ReadRangeAsync(fs, 0, length, cancellationToken).ConfigureAwait(false);
            lastNl = Array.LastIndexOf(tail, (byte)'\n');
        }
        if (lastNl != tail.Length - 1)
        {
            var torn = tail.AsSpan(lastNl + 1).ToArray();
            var (seq, hash) = LastComplete(tail, lastNl, from);
            long keep = from + lastNl + 1;
            string aside = string.Create(CultureInfo.InvariantCulture, $"{Path}.torn-{seq + 1}");
            SecureFile.WriteAllBytes(aside, torn);
            fs.SetLength(keep);
            fs.Flush(flushToDisk: true);
            var recovery = Make(seq + 1, "siem", "audit.torn_tail", "audit/audit.jsonl", new Dictionary<string, string>(StringComparer.Ordinal)
            {
                ["bytes"] = torn.Length.ToString(CultureInfo.InvariantCulture),
                ["sha256"] = Convert.ToHexStringLower(SHA256.HashData(torn)),
                ["kept_in"] = System.IO.Path.GetFileName(aside),
            }, hash);
            fs.Seek(0, SeekOrigin.End);
            await fs.WriteAsync(AuditCanonical.Line(recovery), cancellationToken).ConfigureAwait(false);
            fs.Flush(flushToDisk: true);
            return (recovery.Seq, recovery.Hash);
        }
        return LastComplete(tail, lastNl, from);
    }

    private (long Seq, string Hash) LastComplete(byte[] tail, int lastNl, long from)
    {
        if (lastNl < 0)
        {
            if (from > 0) throw new InvalidDataException($"{Path}: no complete line found; the log is corrupt (run `siem audit verify`)");
            return (0, AuditCanonical.GenesisHash);
        }
        int prevNl = lastNl == 0 ? -1 : Array.LastIndexOf(tail, (byte)'\n', lastNl - 1);
        var e = AuditCanonical.Parse(tail.AsSpan(prevNl + 1, lastNl - prevNl - 1), out var problem)
            ?? throw new InvalidDataException($"{Path}: the last complete line is corrupt ({problem}); refusing to extend a broken chain (run `siem audit verify`)");
        return (e.Seq, e.Hash);
    }

    private static async Task<byte[]> ReadRangeAsync(FileStream fs, long from, long to, CancellationToken cancellationToken)
    {
        var buf = new byte[to - from];
        fs.Seek(from, SeekOrigin.Begin);
        await fs.ReadExactlyAsync(buf, cancellationToken).ConfigureAwait(false);
        return buf;
    }
}
