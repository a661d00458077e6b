using System.Security.Cryptography;
using NodaTime;
using Siem.Lineage.Hops;
using Siem.Lineage.Ledger;
using Siem.Lineage.Subjects;

namespace Siem.Engine.Tests.ScaleOut;

/// <summary>A correlation alert raised in a partition gets its lineage hop like a pipeline alert: the ledger knows its records and where they came from.</summary>
public sealed class PartitionLineageTests
{
    private const string BruteForce = "81e7a567-a87a-4a69-8c3a-cd004cd81081";
    private static readonly Instant Start = Instant.FromUtc(2026, 11, 22, 10, 0);

    [Fact]
    public async Task A_brute_force_alert_raised_in_a_partition_is_in_the_ledger_with_the_ten_records_both_engines_reported()
    {
        await using var f = await ScaleOutFixture.StartAsync();
        await using var ledger = LineageLedger.OpenFile(Path.Combine(f.Dir, "ledger.db"));
        var lineage = new PipelineLineage(ledger, new SubjectPseudonymizer(RandomNumberGenerator.GetBytes(32)), "scale-out-test", "sqlite:index");
        var a = await f.StartEngineAsync(0, ["mr_ssh_brute_force.yml"], lineage: lineage);
        var b = await f.StartEngineAsync(1, ["mr_ssh_brute_force.yml"], lineage: lineage);
        await f.WaitBalancedAsync(a, b);

        await f.ShipSplitBruteForceAsync(a, b, Start);

        var alert = Assert.Single(await f.AlertsAsync(BruteForce));
        var path = await ledger.AlertPathAsync(alert.AlertId, f.Timeout.Token);
        Assert.NotNull(path);
        Assert.Equal(BruteForce, path.Alert.RuleId);
        Assert.Equal("sqlite:index", path.Alert.Index);
        string[] records = [.. Enumerable.Range(0, 5).Select(i => $"a{i:D2}"), .. Enumerable.Range(5, 5).Select(i => $"b{i:D2}")];
        Assert.Equal(records, path.Alert.RecordIds.Order(StringComparer.Ordinal));
        Assert.Equal(records, path.Records.Select(r => r.RecordId).Order(StringComparer.Ordinal));
        Assert.True(path.SubjectCount > 0); // the group-by source.ip and the kept fields name subjects
    }
}
