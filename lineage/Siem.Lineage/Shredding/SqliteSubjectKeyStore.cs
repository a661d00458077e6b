using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Data.Sqlite;
using Siem.Core.Security;

namespace Siem.Lineage.Shredding;

/// <summary>
/// Subject keys in SQLite (<see cref="LineagePaths.KeyStore"/>, WAL, secure_delete=ON, mode 0600). Each key is stored
/// wrapped (AES-256-GCM, the subject id as associated data) under a key-encryption key kept in a separate 0600 file
/// (<c>keys.kek</c>), so a copy of keys.db alone reveals nothing. <see cref="DestroyKeyAsync"/> deletes the row and
/// truncates the WAL, so the wrapped key is overwritten on disk. Backups must not capture keys.db together with
/// keys.kek, or a restored pair would bring destroyed keys back: exclude them from backups.
/// Keys are cached; a destroy bumps the database's generation (<c>PRAGMA user_version</c>), and every instance checks it
/// at most every <see cref="GenerationCheckInterval"/> and drops its cache when it moved, so a long-running process (the
/// engine, the API) stops using a key a purge in another process destroyed.
/// </summary>
public sealed class SqliteSubjectKeyStore : ISubjectKeyStore, IDisposable
{
    private readonly SqliteConnection _db;
    private readonly byte[] _kek;
    private readonly SemaphoreSlim _lock = new(1, 1);
    private readonly ConcurrentDictionary<string, byte[]> _cache = new(StringComparer.Ordinal);
    private long _generation = -1;
    private long _nextGenerationCheck;

    /// <summary>How long a key destroyed by another process may still be used from this one's cache.</summary>
    public static TimeSpan GenerationCheckInterval { get; } = TimeSpan.FromMilliseconds(200);

    private SqliteSubjectKeyStore(SqliteConnection db, byte[] kek)
    {
        _db = db;
        _kek = kek;
    }

    public static SqliteSubjectKeyStore Open(string dataDir)
    {
        var path = LineagePaths.KeyStore(dataDir);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var kek = Subjects.LineageKey.LoadOrCreateFile(Path.Combine(Path.GetDirectoryName(path)!, "keys.kek"));
        if (!File.Exists(path) && !OperatingSystem.IsWindows())
            using (new FileStream(path, new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, UnixCreateMode = SecureFile.OwnerOnly })) { }
        var db = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString());
        db.Open();
        using var cmd = db.CreateCommand();
        cmd.CommandText = """
            PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA secure_delete=ON; PRAGMA busy_timeout=10000;
            CREATE TABLE IF NOT EXISTS subject_keys (subject_id TEXT NOT NULL PRIMARY KEY, wrapped BLOB NOT NULL) WITHOUT ROWID;
            """;
        cmd.ExecuteNonQuery();
        return new SqliteSubjectKeyStore(db, kek);
    }

    public async ValueTask<byte[]> GetOrCreateKeyAsync(string subjectId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(subjectId);
        await DropCacheIfKeysDestroyedAsync(cancellationToken).ConfigureAwait(false);
        if (_cache.TryGetValue(subjectId, out var cached)) return cached;
        await _lock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var key = Read(subjectId);
            if (key == null)
            {
                key = RandomNumberGenerator.GetBytes(32);
                using var insert = _db.CreateCommand();
                insert.CommandText = "INSERT INTO subject_keys(subject_id, wrapped) VALUES ($s, $w)";
                insert.Parameters.AddWithValue("$s", subjectId);
                insert.Parameters.AddWithValue("$w", Wrap(subjectId, key));
                insert.ExecuteNonQuery();
            }
            _cache[subjectId] = key;
            return key;
        }
        finally
        {
            _lock.Release();
        }
    }

    public async ValueTask<byte[]?> TryGetKeyAsync(string subjectId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(subjectId);
        await DropCacheIfKeysDestroyedAsync(cancellationToken).ConfigureAwait(false);
        if (_cache.TryGetValue(subjectId, out var cached)) return cached;
        await _lock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var key = Read(subjectId);
            if (key != null) _cache[subjectId] = key;
            return key;
        }
        finally
        {
            _lock.Release();
        }
    }

    public async ValueTask<bool> DestroyKeyAsync(string subjectId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(subjectId);
        await _lock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_cache.TryRemove(subjectId, out var key)) CryptographicOperations.ZeroMemory(key);
            using var delete = _db.CreateCommand();
            delete.CommandText = "DELETE FROM subject_keys WHERE subject_id = $s";
            delete.Parameters.AddWithValue("$s", subjectId);
            bool existed = delete.ExecuteNonQuery() > 0;
            _generation = Generation() + 1;
            using (var bump = _db.CreateCommand())
            {
                bump.CommandText = "PRAGMA user_version = " + _generation.ToString(System.Globalization.CultureInfo.InvariantCulture);
                bump.ExecuteNonQuery();
            }
            // secure_delete zeroed the page in the database file; the WAL still holds the old page until truncated.
            using var checkpoint = _db.CreateCommand();
            checkpoint.CommandText = "PRAGMA wal_checkpoint(TRUNCATE)";
            checkpoint.ExecuteNonQuery();
            return existed;
        }
        finally
        {
            _lock.Release();
        }
    }

    /// <summary>Drops every cached key when a key was destroyed since the cache was filled (by any process).</summary>
    private async ValueTask DropCacheIfKeysDestroyedAsync(CancellationToken cancellationToken)
    {
        long now = Environment.TickCount64;
        if (now < Interlocked.Read(ref _nextGenerationCheck)) return;
        await _lock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            Interlocked.Exchange(ref _nextGenerationCheck, now + (long)GenerationCheckInterval.TotalMilliseconds);
            long generation = Generation();
            if (generation == _generation) return;
            if (_generation >= 0) _cache.Clear(); // not zeroed: a reader may hold the array; the GC drops it
            _generation = generation;
        }
        finally
        {
            _lock.Release();
        }
    }

    private long Generation()
    {
        using var cmd = _db.CreateCommand();
        cmd.CommandText = "PRAGMA user_version";
        return (long)cmd.ExecuteScalar()!;
    }

    private byte[]? Read(string subjectId)
    {
        using var cmd = _db.CreateCommand();
        cmd.CommandText = "SELECT wrapped FROM subject_keys WHERE subject_id = $s";
        cmd.Parameters.AddWithValue("$s", subjectId);
        return cmd.ExecuteScalar() is byte[] wrapped ? Unwrap(subjectId, wrapped) : null;
    }

    private byte[] Wrap(string subjectId, byte[] key)
    {
        var blob = new byte[12 + key.Length + 16];
        RandomNumberGenerator.Fill(blob.AsSpan(0, 12));
        using var aes = new AesGcm(_kek, 16);
        aes.Encrypt(blob.AsSpan(0, 12), key, blob.AsSpan(12, key.Length), blob.AsSpan(12 + key.Length), Encoding.UTF8.GetBytes(subjectId));
        return blob;
    }

    private byte[] Unwrap(string subjectId, byte[] blob)
    {
        if (blob.Length != 12 + 32 + 16) throw new InvalidDataException($"key store entry of subject {subjectId} is {blob.Length} bytes, expected 60");
        var key = new byte[32];
        using var aes = new AesGcm(_kek, 16);
        try
        {
            aes.Decrypt(blob.AsSpan(0, 12), blob.AsSpan(12, 32), blob.AsSpan(44), key, Encoding.UTF8.GetBytes(subjectId));
        }
        catch (AuthenticationTagMismatchException ex)
        {
            throw new InvalidDataException($"key store entry of subject {subjectId} does not open under keys.kek (wrong or replaced key-encryption key, or a tampered entry)", ex);
        }
        return key;
    }

    public void Dispose()
    {
        _db.Dispose();
        _lock.Dispose();
    }
}
