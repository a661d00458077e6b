namespace Siem.Core.Envelope;

/// <summary>Why an envelope did not open; the engine quarantines the message with this reason.</summary>
public enum EnvelopeFailure
{
    None,
    /// <summary>Missing/invalid headers, unsupported algorithm, or a body too short to hold the fixed parts.</summary>
    Malformed,
    UnknownAgent,
    RevokedAgent,
    /// <summary>The key id names no engine key pair this engine holds (rotated out, or forged).</summary>
    UnknownKey,
    /// <summary>The Ed25519 signature of the agent does not cover these headers and this body (tampered, or not from this agent).</summary>
    BadSignature,
    /// <summary>Signature fine but AES-GCM refused the ciphertext (sealed to a different engine key).</summary>
    DecryptFailed,
}
