namespace Siem.Engine.Replay;

/// <summary>What a replay did: events read, alerts recorded (as backfill) and how many per rule.</summary>
public sealed record ReplayResult(long Events, int Alerts, IReadOnlyDictionary<string, int> AlertsByRule);
