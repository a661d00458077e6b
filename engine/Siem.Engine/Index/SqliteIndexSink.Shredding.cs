using Siem.Core.Events;
using Siem.Engine.Search;
using Siem.Lineage.Shredding;

namespace Siem.Engine.Index;

/// <summary>
/// Crypto-shredding in the index (issue #6): with a <see cref="FieldProtector"/>, the protected PII fields
/// (default user.email) are stored as ciphertext under their subject's data key with a blind index next to them
/// (<c>&lt;field&gt;.bidx</c>). The engine detects before it writes, so rules still see the plaintext. A search
/// <c>user.email:x</c> is answered through the blind index, and hits show the decrypted value while the subject's
/// key exists, <see cref="ShreddedMarker"/> once the purge destroyed it. The <c>message</c> and <c>original</c>
/// columns keep the line as read: shredding covers the structured fields, the purge deletes the records themselves.
/// </summary>
public sealed partial class SqliteIndexSink
{
    /// <summary>What a protected field reads as in search results once its subject's key was destroyed.</summary>
    public const string ShreddedMarker = "[shredded]";

    /// <summary>What a protected field reads as when its ciphertext does not decrypt (tampered or damaged).</summary>
    public const string UnreadableMarker = "[unreadable]";

    private FieldProtector? _protector;
    private IDisposable? _ownedKeys;

    /// <summary>Opens the index with crypto-shredding: subject keys in <see cref="Siem.Lineage.LineagePaths.KeyStore"/> of
    /// <paramref name="keysDataDir"/> (the data dir the purge destroys keys in; default <paramref name="dataDir"/>).</summary>
    public static SqliteIndexSink OpenWithShredding(string dataDir, string? keysDataDir = null)
    {
        var keys = SqliteSubjectKeyStore.Open(keysDataDir ?? dataDir);
        try
        {
            var sink = Open(dataDir, FieldProtector.Open(keysDataDir ?? dataDir, keys));
            sink._ownedKeys = keys;
            return sink;
        }
        catch
        {
            keys.Dispose();
            throw;
        }
    }

    /// <summary>Opens the index; with <paramref name="protector"/> its fields are protected (the caller keeps owning its key store).</summary>
    public static SqliteIndexSink Open(string dataDir, FieldProtector? protector)
    {
        var sink = Open(dataDir);
        sink._protector = protector;
        return sink;
    }

    /// <summary>The events as they are stored: copies with the protected fields sealed (the caller's events stay plaintext,
    /// lineage pseudonymizes their values after the write).</summary>
    private async Task<IReadOnlyList<LogEvent>> ProtectAsync(IReadOnlyList<LogEvent> events, CancellationToken cancellationToken)
    {
        if (_protector is not { } protector) return events;
        var stored = new List<LogEvent>(events.Count);
        foreach (var e in events)
        {
            if (!protector.Fields.Any(e.Fields.ContainsKey))
            {
                stored.Add(e);
                continue;
            }
            var copy = new LogEvent { RecordId = e.RecordId, AgentId = e.AgentId, Timestamp = e.Timestamp, Original = e.Original };
            foreach (var kv in e.Fields) copy.Fields[kv.Key] = kv.Value;
            await protector.ProtectAsync(copy, cancellationToken).ConfigureAwait(false);
            stored.Add(copy);
        }
        return stored;
    }

    /// <summary>The request with exact terms on protected fields turned into blind index lookups.</summary>
    private SearchRequest WithBlindIndex(SearchRequest request) =>
        _protector is { } protector ? request with { Query = BlindIndexRewriter.Rewrite(request.Query, protector) } : request;

    /// <summary>Replaces the ciphertext of protected fields in event hits by the plaintext, or a marker when shredded.</summary>
    private async Task<IReadOnlyList<SearchHit>> RevealAsync(IReadOnlyList<SearchHit> hits, CancellationToken cancellationToken)
    {
        if (_protector is not { } protector) return hits;
        foreach (var hit in hits)
        {
            if (hit.Event is not { } e) continue;
            foreach (var field in protector.Fields)
            {
                e.Fields.Remove(field + FieldProtector.BlindIndexSuffix);
                if (!e.Fields.TryGetValue(field, out var raw)) continue;
                if (raw is string s) e.Fields[field] = await RevealOneAsync(protector, field, s, cancellationToken).ConfigureAwait(false);
                else if (raw is string[] values)
                {
                    var plain = new string[values.Length];
                    for (int i = 0; i < values.Length; i++) plain[i] = await RevealOneAsync(protector, field, values[i], cancellationToken).ConfigureAwait(false);
                    e.Fields[field] = plain;
                }
            }
        }
        return hits;
    }

    private static async Task<string> RevealOneAsync(FieldProtector protector, string field, string value, CancellationToken cancellationToken)
    {
        if (!FieldProtector.IsProtected(value)) return value; // indexed before protection was enabled
        try
        {
            return await protector.RevealAsync(field, value, cancellationToken).ConfigureAwait(false) ?? ShreddedMarker;
        }
        catch (FormatException)
        {
            return UnreadableMarker;
        }
    }
}
