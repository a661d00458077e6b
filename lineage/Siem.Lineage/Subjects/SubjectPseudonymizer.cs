using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using Siem.Core.Events;

namespace Siem.Lineage.Subjects;

/// <summary>
/// Turns identifier values into keyed pseudonymous subject ids: HMAC-SHA256 under the lineage key over the canonical
/// <c>class=value</c> (see <see cref="Canonical"/>), first 128 bits as 32 lowercase hex characters. The same person gets
/// the same id on every record and in every purge request; without the key an id cannot be linked to a value, and a
/// different key gives different ids. Raw values are never returned or stored, only kept briefly in an in-memory cache.
/// Thread-safe.
/// </summary>
public sealed class SubjectPseudonymizer
{
    private const int CacheLimit = 65_536;
    private readonly byte[] _key;
    private readonly string[] _fields;
    private readonly HashSet<string> _personalHosts;
    private readonly bool _allHostsPersonal;
    // Identifier values repeat a lot (the same users and addresses all day): one HMAC per distinct value, not per record.
    private readonly ConcurrentDictionary<(string Class, string Value), string> _cache = new();

    public SubjectPseudonymizer(ReadOnlySpan<byte> key, SubjectFieldOptions? options = null)
    {
        if (key.Length < 16) throw new ArgumentException($"the lineage key must be at least 16 bytes (got {key.Length})", nameof(key));
        _key = key.ToArray();
        Options = options ?? SubjectFieldOptions.Default;
        _allHostsPersonal = Options.Fields.Contains(EcsFields.HostName, StringComparer.Ordinal);
        _fields = [.. Options.Fields.Where(f => f != EcsFields.HostName).Distinct(StringComparer.Ordinal)];
        _personalHosts = new HashSet<string>(Options.PersonalHosts.Select(h => h.Trim().ToLowerInvariant()), StringComparer.Ordinal);
    }

    /// <summary>The pseudonymizer of a data dir: its lineage key (created on first use) and its <c>subjects.json</c>.</summary>
    public static SubjectPseudonymizer Open(string dataDir, SubjectFieldOptions? options = null) =>
        new(LineageKey.LoadOrCreate(dataDir), options ?? SubjectFieldOptions.Load(dataDir));

    public SubjectFieldOptions Options { get; }

    /// <summary>The canonical text an id is computed over, e.g. <c>ip=10.0.0.1</c> for <c>source.ip= 10.0.0.1 </c>; null when the value is blank.</summary>
    public static string? Canonical(string field, string value)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(field);
        ArgumentNullException.ThrowIfNull(value);
        var cls = SubjectCanonicalizer.ClassOf(field.Trim());
        var v = SubjectCanonicalizer.CanonicalValue(cls, value);
        return v == null ? null : cls + "=" + v;
    }

    /// <summary>The subject id of <paramref name="field"/>=<paramref name="value"/> (any field, configured or not).</summary>
    /// <exception cref="ArgumentException">The value is blank: it identifies nobody.</exception>
    public string SubjectId(string field, string value)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(field);
        ArgumentNullException.ThrowIfNull(value);
        return TryGetSubjectId(SubjectCanonicalizer.ClassOf(field.Trim()), value)
            ?? throw new ArgumentException($"the value of '{field}' is blank, so it identifies no subject", nameof(value));
    }

    /// <summary>The subject id of a selector <c>field=value</c> (the form purge requests use).</summary>
    public string SubjectId(string selector)
    {
        var (field, value) = ParseSelector(selector);
        return SubjectId(field, value);
    }

    /// <summary>Splits <c>field=value</c> at the first '='.</summary>
    /// <exception cref="FormatException">No '=', or an empty field or value.</exception>
    public static (string Field, string Value) ParseSelector(string selector)
    {
        ArgumentNullException.ThrowIfNull(selector);
        int eq = selector.IndexOf('=', StringComparison.Ordinal);
        if (eq <= 0 || eq == selector.Length - 1 || string.IsNullOrWhiteSpace(selector[..eq]) || string.IsNullOrWhiteSpace(selector[(eq + 1)..]))
            throw new FormatException("a subject is written FIELD=VALUE, for example user.name=alice or source.ip=203.0.113.7");
        return (selector[..eq].Trim(), selector[(eq + 1)..]);
    }

    /// <summary>True when values of <paramref name="field"/> identify a subject under these options (host.name: on every host, or only on personal ones).</summary>
    public bool IsIdentifierField(string field) =>
        Array.IndexOf(_fields, field) >= 0 || (field == EcsFields.HostName && (_allHostsPersonal || _personalHosts.Count > 0));

    /// <summary>Adds the distinct subject ids of a record (its configured identifier fields) to <paramref name="into"/>.</summary>
    public void CollectSubjectIds(LogEvent record, List<string> into)
    {
        ArgumentNullException.ThrowIfNull(record);
        ArgumentNullException.ThrowIfNull(into);
        foreach (var field in _fields)
        {
            if (!record.Fields.TryGetValue(field, out var raw)) continue;
            var cls = SubjectCanonicalizer.ClassOf(field);
            if (raw is string s) AddDistinct(into, TryGetSubjectId(cls, s));
            else foreach (var item in (string[])raw) AddDistinct(into, TryGetSubjectId(cls, item));
        }
        if (IsPersonalHost(record.Get(EcsFields.HostName)) is { } host) AddDistinct(into, TryGetSubjectId("host", host));
    }

    /// <summary>The distinct subject ids of a record.</summary>
    public IReadOnlyList<string> SubjectIdsOf(LogEvent record)
    {
        var list = new List<string>(2);
        CollectSubjectIds(record, list);
        return list;
    }

    /// <summary>The subject ids of field/value pairs whose field is an identifier (an alert's group-by values, for example).</summary>
    public void CollectSubjectIds(IEnumerable<KeyValuePair<string, string>> values, List<string> into)
    {
        ArgumentNullException.ThrowIfNull(values);
        ArgumentNullException.ThrowIfNull(into);
        foreach (var (field, value) in values)
        {
            if (value == null) continue;
            if (field == EcsFields.HostName)
            {
                if (IsPersonalHost(value) is { } host) AddDistinct(into, TryGetSubjectId("host", host));
            }
            else if (Array.IndexOf(_fields, field) >= 0)
            {
                AddDistinct(into, TryGetSubjectId(SubjectCanonicalizer.ClassOf(field), value));
            }
        }
    }

    /// <summary>True when <paramref name="hostName"/> belongs to a personal device (its host.name then identifies a person).</summary>
    public bool IsPersonalHostName(string? hostName) => IsPersonalHost(hostName) != null;

    private string? IsPersonalHost(string? host)
    {
        if (string.IsNullOrWhiteSpace(host)) return null;
        if (_allHostsPersonal) return host;
        return _personalHosts.Count > 0 && _personalHosts.Contains(host.Trim().ToLowerInvariant()) ? host : null;
    }

    private string? TryGetSubjectId(string cls, string value)
    {
        if (_cache.TryGetValue((cls, value), out var cached)) return cached;
        var canonical = SubjectCanonicalizer.CanonicalValue(cls, value);
        if (canonical == null) return null;
        var id = Hmac(cls + "=" + canonical);
        if (_cache.Count >= CacheLimit) _cache.Clear();
        _cache[(cls, value)] = id;
        return id;
    }

    private string Hmac(string canonical)
    {
        Span<byte> mac = stackalloc byte[32];
        HMACSHA256.HashData(_key, Encoding.UTF8.GetBytes(canonical), mac);
        return Convert.ToHexStringLower(mac[..16]);
    }

    private static void AddDistinct(List<string> into, string? id)
    {
        if (id != null && !into.Contains(id)) into.Add(id);
    }
}
