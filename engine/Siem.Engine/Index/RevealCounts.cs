namespace Siem.Engine.Index;

/// <summary>Protected field values that could not be shown as plaintext: their subject's key was destroyed (shredded),
/// or their ciphertext does not decrypt (unreadable).</summary>
internal readonly record struct RevealCounts(int Shredded, int Unreadable);
