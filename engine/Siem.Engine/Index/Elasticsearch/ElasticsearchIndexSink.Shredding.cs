using Siem.Lineage.Shredding;

namespace Siem.Engine.Index.Elasticsearch;

/// <summary>
/// Crypto-shredding in Elasticsearch/OpenSearch, as in the SQLite index (<see cref="IndexFieldProtection"/>): the
/// protected PII fields (default user.email) are sent as ciphertext under their subject's data key, with the blind index
/// in <c>siem.bidx.&lt;field&gt;</c> (a keyword; not <c>&lt;field&gt;.bidx</c>, which Elasticsearch would refuse: a field
/// cannot be a value and an object at once). The cluster never receives the plaintext of those fields, so snapshots
/// and replicas hold only ciphertext, which the purge makes unreadable by destroying the key.
/// </summary>
public sealed partial class ElasticsearchIndexSink
{
    private FieldProtector? _protector;
    private IDisposable? _ownedKeys;

    /// <summary>A sink with crypto-shredding: subject keys in the key store of <paramref name="keysDataDir"/> (the data
    /// dir the purge destroys keys in), owned and closed by the sink.</summary>
    public static ElasticsearchIndexSink OpenWithShredding(ElasticsearchOptions options, string keysDataDir, HttpClient? http = null)
    {
        var keys = SqliteSubjectKeyStore.Open(keysDataDir);
        try
        {
            var sink = new ElasticsearchIndexSink(options, FieldProtector.Open(keysDataDir, keys), http);
            sink._ownedKeys = keys;
            return sink;
        }
        catch
        {
            keys.Dispose();
            throw;
        }
    }

    /// <summary>A sink whose events have <paramref name="protector"/>'s fields sealed (the caller keeps owning its key store).</summary>
    public ElasticsearchIndexSink(ElasticsearchOptions options, FieldProtector? protector, HttpClient? http = null)
        : this(options, http)
    {
        _protector = protector;
    }

    /// <summary>The protector, when the sink seals PII fields.</summary>
    public FieldProtector? Protector => _protector;
}
