namespace Siem.Lineage.Shredding;

/// <summary>
/// Per-subject data keys for crypto-shredding: a subject's PII fields are encrypted under its own key, and destroying
/// the key makes every copy of those fields unreadable, including copies nobody can reach any more (snapshots,
/// backups, exports). Keys are 32 bytes (AES-256-GCM).
/// </summary>
public interface ISubjectKeyStore
{
    /// <summary>The subject's key, created (random) on first use.</summary>
    ValueTask<byte[]> GetOrCreateKeyAsync(string subjectId, CancellationToken cancellationToken = default);

    /// <summary>The subject's key, or null when it never existed or was destroyed.</summary>
    ValueTask<byte[]?> TryGetKeyAsync(string subjectId, CancellationToken cancellationToken = default);

    /// <summary>Destroys the subject's key for good; true when there was one. Idempotent.</summary>
    ValueTask<bool> DestroyKeyAsync(string subjectId, CancellationToken cancellationToken = default);
}
