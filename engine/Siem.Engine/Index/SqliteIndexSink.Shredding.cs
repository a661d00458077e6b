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
/// columns hold the line with those values replaced by <c>[field]</c>, the line as read sealed next to it
/// (<see cref="FieldProtector.SealTextAsync"/>), unless the data dir's shredding file says <c>"free_text": "plaintext"</c>.
/// </summary>
public sealed partial class SqliteIndexSink
{
    /// <summary>What a protected field reads as in search results once its subject's key was destroyed.</summary>
    public const string ShreddedMarker = IndexFieldProtection.ShreddedMarker;

    /// <summary>What a protected field reads as when its ciphertext does not decrypt (tampered or damaged).</summary>
    public const string UnreadableMarker = IndexFieldProtection.UnreadableMarker;

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

    private Task<IReadOnlyList<LogEvent>> ProtectAsync(IReadOnlyList<LogEvent> events, CancellationToken cancellationToken) =>
        IndexFieldProtection.ProtectAsync(_protector, events, cancellationToken);

    private SearchRequest WithBlindIndex(SearchRequest request) => IndexFieldProtection.WithBlindIndex(_protector, request);

    private Task<IReadOnlyList<SearchHit>> RevealAsync(IReadOnlyList<SearchHit> hits, CancellationToken cancellationToken) =>
        IndexFieldProtection.RevealAsync(_protector, hits, cancellationToken);
}
