namespace Siem.Engine.Replay;

/// <summary>What a replay did: events read, alerts recorded (as backfill) and how many per rule.</summary>
public sealed record ReplayResult(long Events, int Alerts, IReadOnlyDictionary<string, int> AlertsByRule)
{
    /// <summary>Protected field values the rules could not read because a purge destroyed their subject's key.</summary>
    public long FieldsShredded { get; init; }

    /// <summary>Protected field values whose ciphertext did not decrypt (damaged or tampered).</summary>
    public long FieldsUnreadable { get; init; }
}
