namespace Siem.Core.Security;

/// <summary>
/// The engine's X25519 keys on disk: the current pair in <c>engine/engine-key.json</c> (handed to agents at
/// enrollment) and earlier pairs in <c>engine/engine-keys/&lt;key id&gt;.json</c>, kept so batches agents sealed (or
/// spooled) under an earlier key still open. <see cref="Rotate"/> makes a new pair current and keeps the old one;
/// <see cref="Retire"/> deletes an earlier pair once no agent seals to it any more. All files are 0600.
/// </summary>
public sealed class EngineKeyRing
{
    private readonly string _engineDir;

    private EngineKeyRing(string engineDir, EngineKeyPair current, IReadOnlyList<EngineKeyPair> previous)
    {
        _engineDir = engineDir;
        Current = current;
        Previous = previous;
    }

    public EngineKeyPair Current { get; }
    /// <summary>Earlier pairs still accepted for opening, newest first.</summary>
    public IReadOnlyList<EngineKeyPair> Previous { get; }

    /// <summary>Every pair that opens batches, by key id (what <c>EnvelopeOpener</c> takes).</summary>
    public IReadOnlyDictionary<string, EngineKeyPair> ById =>
        new[] { Current }.Concat(Previous).ToDictionary(k => k.KeyId, StringComparer.Ordinal);

    public static string CurrentPath(string dataDir) => Path.Combine(dataDir, "engine", "engine-key.json");

    /// <summary>
    /// What changes when <c>siem keys rotate</c> or <c>retire</c> ran (the current key file's write time and the earlier
    /// keys' names): running engines compare it now and then and <see cref="Open"/> the ring again when it differs.
    /// </summary>
    public static string Fingerprint(string dataDir)
    {
        var current = new FileInfo(CurrentPath(dataDir));
        var previousDir = Path.Combine(dataDir, "engine", "engine-keys");
        IEnumerable<string?> previous = Directory.Exists(previousDir) ? Directory.GetFiles(previousDir, "*.json").Select(Path.GetFileName).Order(StringComparer.Ordinal) : [];
        return $"{(current.Exists ? current.LastWriteTimeUtc.Ticks : 0)}|{string.Join(',', previous)}";
    }

    private string PreviousDir => Path.Combine(_engineDir, "engine-keys");

    /// <summary>The ring under <paramref name="dataDir"/>; a first current key is created when there is none (<paramref name="created"/> true).</summary>
    public static EngineKeyRing Open(string dataDir, out bool created)
    {
        var engineDir = Path.Combine(dataDir, "engine");
        Directory.CreateDirectory(engineDir);
        var currentPath = CurrentPath(dataDir);
        created = !File.Exists(currentPath);
        if (created) EngineKeyPair.Create().Save(currentPath);
        var current = EngineKeyPair.Load(currentPath);
        var previousDir = Path.Combine(engineDir, "engine-keys");
        var previous = Directory.Exists(previousDir)
            ? Directory.GetFiles(previousDir, "*.json").Select(EngineKeyPair.Load).Where(k => k.KeyId != current.KeyId).OrderByDescending(k => k.CreatedAt).ToList()
            : [];
        return new EngineKeyRing(engineDir, current, previous);
    }

    /// <summary>
    /// A new current pair; the old current one moves to the earlier keys (written there before the new one replaces it,
    /// so a crash in between leaves the old key in one place or both, never in none). Returns the ring as it is now.
    /// </summary>
    public EngineKeyRing Rotate()
    {
        Directory.CreateDirectory(PreviousDir);
        Current.Save(Path.Combine(PreviousDir, Current.KeyId + ".json"));
        SecureFile.FsyncDirectory(PreviousDir);
        var next = EngineKeyPair.Create();
        next.Save(Path.Combine(_engineDir, "engine-key.json"));
        return new EngineKeyRing(_engineDir, next, [Current, .. Previous]);
    }

    /// <summary>
    /// Deletes an earlier pair: batches sealed to it can no longer be opened (they are quarantined as unknown_key). A
    /// marker in <c>engine/retired-keys/</c> (written first) keeps the key from coming back through another engine's
    /// announcement (<see cref="Import"/>).
    /// </summary>
    public EngineKeyRing Retire(string keyId)
    {
        ArgumentException.ThrowIfNullOrEmpty(keyId);
        if (keyId == Current.KeyId) throw new InvalidOperationException($"key {keyId} is the current engine key; rotate first, then retire it");
        if (Previous.All(k => k.KeyId != keyId))
            throw new KeyNotFoundException($"no earlier engine key '{keyId}' (earlier keys: {(Previous.Count == 0 ? "none" : string.Join(", ", Previous.Select(k => k.KeyId)))})");
        SecureFile.WriteAllBytes(Path.Combine(RetiredDir(_engineDir), keyId), []);
        File.Delete(Path.Combine(PreviousDir, keyId + ".json"));
        return new EngineKeyRing(_engineDir, Current, [.. Previous.Where(k => k.KeyId != keyId)]);
    }

    /// <summary>Keys retired under this data dir (they are never imported again).</summary>
    public IReadOnlySet<string> Retired =>
        Directory.Exists(RetiredDir(_engineDir)) ? Directory.GetFiles(RetiredDir(_engineDir)).Select(Path.GetFileName).OfType<string>().ToHashSet(StringComparer.Ordinal) : new HashSet<string>();

    /// <summary>
    /// Adds a pair another engine made (a rotation on another host): it becomes current when it is newer than the current
    /// one (which then moves to the earlier keys, as in <see cref="Rotate"/>), else an earlier key. Unchanged when the key is
    /// already held or was retired here.
    /// </summary>
    public EngineKeyRing Import(EngineKeyPair pair)
    {
        ArgumentNullException.ThrowIfNull(pair);
        if (ById.ContainsKey(pair.KeyId) || Retired.Contains(pair.KeyId)) return this;
        Directory.CreateDirectory(PreviousDir);
        if (pair.CreatedAt <= Current.CreatedAt)
        {
            pair.Save(Path.Combine(PreviousDir, pair.KeyId + ".json"));
            return new EngineKeyRing(_engineDir, Current, [.. Previous.Append(pair).OrderByDescending(k => k.CreatedAt)]);
        }
        Current.Save(Path.Combine(PreviousDir, Current.KeyId + ".json"));
        SecureFile.FsyncDirectory(PreviousDir);
        pair.Save(Path.Combine(_engineDir, "engine-key.json"));
        return new EngineKeyRing(_engineDir, pair, [Current, .. Previous]);
    }

    private static string RetiredDir(string engineDir) => Path.Combine(engineDir, "retired-keys");
}
