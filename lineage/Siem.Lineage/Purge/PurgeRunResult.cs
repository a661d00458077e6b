using System.Text.Json.Nodes;

namespace Siem.Lineage.Purge;

/// <summary>The outcome of running a purge job to the end: the job (certified) and its signed certificate.</summary>
public sealed record PurgeRunResult(PurgeJob Job, JsonObject Certificate, bool Verified, IReadOnlyList<PurgeStoreCheck> Checks);
