using System.Text.Json;
using Siem.Core.Events;
using Siem.Core.Security;
using Siem.Lineage.Subjects;

namespace Siem.Lineage.Purge;

/// <summary>
/// The purged subjects whose records still in flight (in an agent's spool, in JetStream, redelivered) must be
/// dropped when they reach the engine, for each purge's time scope. Durable and pseudonymous:
/// <c>&lt;data&gt;/purge/forward-filter.json</c> holds subject ids, fields and scopes, never a value. The engine calls
/// <see cref="ShouldDrop"/> for every record before detection and indexing; the file is re-read when it changes
/// (checked at most once a second), so a purge run by another process takes effect in a running engine.
/// Thread-safe.
/// </summary>
public sealed class ForwardFilter
{
    private static readonly TimeSpan RecheckInterval = TimeSpan.FromSeconds(1);
    private readonly SubjectPseudonymizer _pseudonymizer;
    private readonly object _gate = new();
    private volatile Dictionary<string, List<ForwardFilterEntry>> _bySubject = new(StringComparer.Ordinal);
    private volatile string[] _extraFields = [];
    private DateTime _loadedWrite = DateTime.MinValue;
    private long _nextCheckTicks;
    private long _dropped;

    public ForwardFilter(string dataDir, SubjectPseudonymizer pseudonymizer)
    {
        ArgumentException.ThrowIfNullOrEmpty(dataDir);
        Path = PathFor(dataDir);
        _pseudonymizer = pseudonymizer ?? throw new ArgumentNullException(nameof(pseudonymizer));
        Reload(force: true);
    }

    public static string PathFor(string dataDir) => System.IO.Path.Combine(System.IO.Path.GetFullPath(dataDir), "purge", "forward-filter.json");

    public string Path { get; }

    /// <summary>Records dropped so far by this instance.</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    public int Count => _bySubject.Values.Sum(l => l.Count);

    /// <summary>True (and counted) when the record belongs to a purged subject within that purge's time scope.</summary>
    public bool ShouldDrop(LogEvent record)
    {
        ArgumentNullException.ThrowIfNull(record);
        long now = Environment.TickCount64;
        if (now >= Interlocked.Read(ref _nextCheckTicks))
        {
            Interlocked.Exchange(ref _nextCheckTicks, now + (long)RecheckInterval.TotalMilliseconds);
            Reload(force: false);
        }
        var bySubject = _bySubject;
        if (bySubject.Count == 0) return false;
        var ids = new List<string>(4);
        _pseudonymizer.CollectSubjectIds(record, ids);
        // A purge may name a field that is not a configured identifier (e.g. a custom one): check it directly.
        foreach (var field in _extraFields)
        {
            var v = record.Get(field);
            if (v == null) continue;
            var id = SafeId(field, v);
            if (id != null && !ids.Contains(id)) ids.Add(id);
        }
        foreach (var id in ids)
        {
            if (!bySubject.TryGetValue(id, out var entries)) continue;
            var t = record.Timestamp.ToDateTimeOffset();
            if (entries.Exists(e => (e.From == null || t >= e.From) && (e.To == null || t < e.To)))
            {
                Interlocked.Increment(ref _dropped);
                return true;
            }
        }
        return false;
    }

    /// <summary>Adds a purge's entry durably (idempotent per subject and purge).</summary>
    public static void Add(string dataDir, ForwardFilterEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        var path = PathFor(dataDir);
        var entries = Read(path);
        if (entries.Exists(e => e.SubjectId == entry.SubjectId && e.PurgeId == entry.PurgeId)) return;
        entries.Add(entry);
        SecureFile.WriteAllBytes(path, JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, object> { ["version"] = 1, ["entries"] = entries }, PurgeJobStore.Json));
    }

    /// <summary>The entries on disk.</summary>
    public static List<ForwardFilterEntry> Read(string path)
    {
        if (!File.Exists(path)) return [];
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllBytes(path));
            if (!doc.RootElement.TryGetProperty("entries", out var arr) || arr.ValueKind != JsonValueKind.Array)
                throw new InvalidDataException($"{path}: missing \"entries\" array");
            return arr.Deserialize<List<ForwardFilterEntry>>(PurgeJobStore.Json) ?? [];
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"{path}: not a valid forward filter (line {ex.LineNumber + 1}): {ex.Message}", ex);
        }
    }

    private void Reload(bool force)
    {
        lock (_gate)
        {
            var write = File.Exists(Path) ? File.GetLastWriteTimeUtc(Path) : DateTime.MinValue;
            if (!force && write == _loadedWrite) return;
            var entries = Read(Path);
            var map = new Dictionary<string, List<ForwardFilterEntry>>(StringComparer.Ordinal);
            foreach (var e in entries)
            {
                if (!map.TryGetValue(e.SubjectId, out var list)) map[e.SubjectId] = list = [];
                list.Add(e);
            }
            _extraFields = [.. entries.Select(e => e.Field).Distinct(StringComparer.Ordinal).Where(f => !_pseudonymizer.IsIdentifierField(f))];
            _bySubject = map;
            _loadedWrite = write;
        }
    }

    private string? SafeId(string field, string value)
    {
        try
        {
            return _pseudonymizer.SubjectId(field, value);
        }
        catch (ArgumentException)
        {
            return null;
        }
    }
}
