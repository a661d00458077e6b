using NodaTime;
using Siem.Lineage.Hops;

namespace Siem.Lineage.Tests;

/// <summary>Hops built by hand for ledger tests: agent batches on stream SIEM_EVENTS with records and their subject ids.</summary>
internal static class LedgerFixture
{
    public static readonly Instant T0 = Instant.FromUtc(2026, 11, 22, 3, 0);

    public static RecordLineage Record(string id, int minute, params string[] subjects) =>
        new(id, "web1", "file", "/var/log/auth.log", 100L * minute, T0 + Duration.FromMinutes(minute), subjects);

    public static BatchLineage Batch(ulong streamSeq, params RecordLineage[] records) =>
        new("agent-1", streamSeq, "SIEM_EVENTS", streamSeq, "engine-a", "sqlite", T0 + Duration.FromHours(1), T0 + Duration.FromHours(1) + Duration.FromSeconds(1), records);

    public static AlertLineage Alert(string id, string[] records, params string[] subjects) =>
        new(id, "rule-1", records, subjects, "sqlite", T0 + Duration.FromHours(1));
}
