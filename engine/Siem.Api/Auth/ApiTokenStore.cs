using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Siem.Core.Security;

namespace Siem.Api.Auth;

/// <summary>
/// API tokens: random 32-byte secrets shown once at creation (<c>siem_</c> + base64url), kept as SHA-256 hashes in one
/// JSON file, mode 0600, rewritten atomically on every change. Lookup is by hash, so the store never compares secrets.
/// Thread-safe: readers see an immutable snapshot. The file is shared with <c>siem api-token</c> and other API processes on
/// the data dir: it is re-read when it changed (checked at most once a second, and at once for an unknown token), so a
/// token created or revoked by the CLI takes effect in a running API without a restart.
/// </summary>
public sealed class ApiTokenStore
{
    public const string Prefix = "siem_";
    private static readonly JsonSerializerOptions _json = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower, WriteIndented = true };

    private readonly object _gate = new();
    private readonly string _path;
    private readonly TimeProvider _time;
    private Dictionary<string, ApiToken> _byHash;
    private (DateTime Written, long Length) _loadedStamp;
    private long _nextCheckTicks;

    public ApiTokenStore(string path, TimeProvider? time = null)
    {
        _path = path ?? throw new ArgumentNullException(nameof(path));
        _time = time ?? TimeProvider.System;
        _loadedStamp = Stamp(path);
        _byHash = Load(path);
    }

    public IReadOnlyList<ApiToken> All
    {
        get
        {
            RefreshIfChanged(force: false);
            return [.. Volatile.Read(ref _byHash).Values.OrderBy(t => t.CreatedAt)];
        }
    }

    /// <summary>Creates a token; the returned secret exists nowhere else — show it once.</summary>
    public (ApiToken Token, string Secret) Create(string name, string role, TimeSpan? lifetime = null, string? createdBy = null)
    {
        if (string.IsNullOrWhiteSpace(name)) throw new ArgumentException("a token needs a name (who or what uses it)", nameof(name));
        if (!ApiRoles.IsKnown(role)) throw new ArgumentException($"unknown role '{role}': use {string.Join(", ", ApiRoles.All)}", nameof(role));
        string secret = Prefix + Base64Url(RandomNumberGenerator.GetBytes(32));
        var now = _time.GetUtcNow();
        var token = new ApiToken
        {
            Id = "tok_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6)),
            Name = name.Trim(),
            Role = role,
            Sha256 = Hash(secret),
            CreatedAt = now,
            CreatedBy = createdBy,
            ExpiresAt = lifetime is { } l ? now + l : null,
        };
        lock (_gate)
        {
            RefreshIfChanged(force: true);
            var next = new Dictionary<string, ApiToken>(_byHash, StringComparer.Ordinal) { [token.Sha256] = token };
            Persist(next);
            _byHash = next;
        }
        return (token, secret);
    }

    /// <summary>Marks a token revoked; false when the id is unknown.</summary>
    public bool Revoke(string id)
    {
        lock (_gate)
        {
            RefreshIfChanged(force: true);
            var existing = _byHash.Values.FirstOrDefault(t => t.Id == id);
            if (existing == null) return false;
            if (existing.RevokedAt != null) return true;
            var next = new Dictionary<string, ApiToken>(_byHash, StringComparer.Ordinal) { [existing.Sha256] = existing with { RevokedAt = _time.GetUtcNow() } };
            Persist(next);
            _byHash = next;
            return true;
        }
    }

    /// <summary>The token a secret belongs to, or why it is not accepted.</summary>
    public TokenCheck Check(string secret)
    {
        ArgumentNullException.ThrowIfNull(secret);
        RefreshIfChanged(force: false);
        string hash = Hash(secret);
        if (!Volatile.Read(ref _byHash).TryGetValue(hash, out var token))
        {
            // Made a moment ago by `siem api-token create`? One stat, then the lookup again.
            RefreshIfChanged(force: true);
            if (!Volatile.Read(ref _byHash).TryGetValue(hash, out token)) return new TokenCheck(null, "unknown token");
        }
        if (token.RevokedAt != null) return new TokenCheck(null, "the token was revoked");
        if (token.ExpiresAt is { } exp && exp <= _time.GetUtcNow()) return new TokenCheck(null, "the token expired");
        return new TokenCheck(token, null);
    }

    internal static string Hash(string secret) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(secret)));

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private void Persist(Dictionary<string, ApiToken> tokens)
    {
        var file = new TokenFile { Version = 1, Tokens = [.. tokens.Values.OrderBy(t => t.CreatedAt)] };
        SecureFile.WriteAllText(_path, JsonSerializer.Serialize(file, _json));
        _loadedStamp = Stamp(_path);
    }

    /// <summary>Re-reads the file when another process rewrote it. A file that no longer reads keeps the tokens loaded before.</summary>
    private void RefreshIfChanged(bool force)
    {
        long now = Environment.TickCount64;
        if (!force && now < Interlocked.Read(ref _nextCheckTicks)) return;
        Interlocked.Exchange(ref _nextCheckTicks, now + 1000);
        lock (_gate)
        {
            var stamp = Stamp(_path);
            if (stamp == _loadedStamp) return;
            try
            {
                Volatile.Write(ref _byHash, Load(_path));
                _loadedStamp = stamp;
            }
            catch (Exception ex) when (ex is InvalidDataException or IOException)
            {
                // Keep serving the last good set; the next change is read again.
            }
        }
    }

    private static (DateTime Written, long Length) Stamp(string path)
    {
        var info = new FileInfo(path);
        return info.Exists ? (info.LastWriteTimeUtc, info.Length) : (DateTime.MinValue, -1);
    }

    private static Dictionary<string, ApiToken> Load(string path)
    {
        if (!File.Exists(path)) return new(StringComparer.Ordinal);
        TokenFile? file;
        try
        {
            file = JsonSerializer.Deserialize<TokenFile>(File.ReadAllText(path), _json);
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"{path}: the API token file is not valid JSON ({ex.Message}); fix or remove it", ex);
        }
        var tokens = new Dictionary<string, ApiToken>(StringComparer.Ordinal);
        foreach (var t in file?.Tokens ?? [])
        {
            if (t.Sha256.Length != 64 || !ApiRoles.IsKnown(t.Role))
                throw new InvalidDataException($"{path}: token '{t.Id}' has a bad hash or an unknown role '{t.Role}'");
            tokens[t.Sha256] = t;
        }
        return tokens;
    }

    private sealed class TokenFile
    {
        public int Version { get; set; }
        public List<ApiToken> Tokens { get; set; } = [];
    }
}
