using NodaTime;
using Siem.Core.Events;
using Siem.Engine.Control;
using Siem.Engine.Purge;
using Siem.Engine.ScaleOut;
using Siem.Lineage.Purge;

namespace Siem.Engine.Tests.ScaleOut;

/// <summary>
/// Issue #6 with scale-out on: a purge reaches the copies correlation keeps — the contributions in SIEM_CORR, the
/// partition snapshots in SIEM_CORR_STATE, the engines' state files — and the running engines forget the subject.
/// Two engines on a real nats-server; source 203.0.113.5 is purged, 198.51.100.7 is someone else in the same windows' rule.
/// </summary>
public sealed class ScaleOutPurgeTests
{
    private const string BruteForce = "81e7a567-a87a-4a69-8c3a-cd004cd81081";
    private const string Subject = "203.0.113.5";
    private const string Other = "198.51.100.7";
    private static readonly Instant Start = Instant.FromUtc(2026, 11, 22, 10, 0);

    [Fact]
    public async Task A_purge_erases_the_subjects_contributions_and_partition_state_and_running_engines_forget_its_matches()
    {
        await using var f = await ScaleOutFixture.StartAsync();
        string[] stateDirs = [Path.Combine(f.Dir, "engine-1", "state"), Path.Combine(f.Dir, "engine-2", "state")];
        var a = await f.StartEngineAsync(0, ["mr_ssh_brute_force.yml"], stateDir: stateDirs[0]);
        var b = await f.StartEngineAsync(1, ["mr_ssh_brute_force.yml"], stateDir: stateDirs[1]);
        await f.WaitBalancedAsync(a, b);

        // Four failures of the subject and three of someone else through each engine: no window reaches ten.
        var subjectRecords = new List<LogEvent>();
        for (int agent = 0; agent < 2; agent++)
        {
            var mine = ScaleOutFixture.Logins(f.Agents[agent].AgentId, $"s{agent}-", Start, 0, 4, ip: Subject);
            subjectRecords.AddRange(mine);
            await f.ShipAsync(agent, [.. mine, .. ScaleOutFixture.Logins(f.Agents[agent].AgentId, $"o{agent}-", Start, 4, 3, ip: Other)]);
        }
        await f.WaitDrainedAsync(a);
        await f.WaitDrainedAsync(b);
        await f.WaitUntilAsync(async () => (await f.Js.GetStreamAsync(CorrelationSubjects.Stream, f.Timeout.Token)).State.Messages == 14, "14 contributions in SIEM_CORR");
        await f.WaitUntilAsync(async () => await PartitionStateHoldsAsync(f, Subject), "a partition snapshot holding the subject");
        var scope = new PurgeScope
        {
            JobId = "purge-scaleout-test", DataDir = f.Dir, Field = "source.ip", SubjectId = "subject-id-not-used-here", Value = Subject,
            RecordIds = new HashSet<string>(subjectRecords.Select(r => r.RecordId), StringComparer.Ordinal),
        };
        IPurgeTarget[] targets =
        [
            new CorrelationStreamPurgeTarget(f.Js),
            new EngineStatePurgeTarget(stateDirs, new LiveChangePublisher(f.Js)),
            new PartitionStatePurgeTarget(f.Js),
        ];
        var results = new List<PurgeStoreResult>();
        foreach (var t in targets) results.Add(await t.PurgeAsync(scope, f.Timeout.Token));

        Assert.Equal(8, results[0].Erased);
        Assert.Equal(8, results[0].Deleted);
        Assert.Equal(0, results[0].Rewritten);
        // Both engines (pipeline and partitions) confirmed they saved their state without the subject before the step went on.
        Assert.Contains("2 running engine(s) confirmed the purge notice", results[1].Note, StringComparison.Ordinal);
        Assert.DoesNotContain("NOT confirmed", results[1].Note, StringComparison.Ordinal);
        foreach (var t in targets)
        {
            var check = await t.VerifyAsync(scope, f.Timeout.Token);
            Assert.True(check.Clean, $"{t.Name}: {string.Join("; ", check.Where)}");
            Assert.Equal(0, check.RawValueHits);
        }
        Assert.Equal(6UL, (await f.Js.GetStreamAsync(CorrelationSubjects.Stream, f.Timeout.Token)).State.Messages);
        Assert.False(await PartitionStateHoldsAsync(f, Subject));
        // The engines' dirs (state files, batch sequences) hold the raw value nowhere.
        foreach (var engineDir in new[] { "engine-1", "engine-2" })
        {
            var scan = await DataDirByteScan.ScanAsync(Path.Combine(f.Dir, engineDir), scope.Matcher, scope.SubjectId, f.Timeout.Token);
            Assert.True(scan.Clean, string.Join("; ", scan.Where));
        }

        // The running engines forgot the subject's matches: ten new failures make a window of exactly those ten...
        var later = ScaleOutFixture.Logins(f.Agents[0].AgentId, "n-", Start, 10, 10, ip: Subject);
        await f.ShipAsync(0, later);
        // ...and the other person's six matches are still counted: four more make their ten.
        await f.ShipAsync(1, ScaleOutFixture.Logins(f.Agents[1].AgentId, "p-", Start, 20, 4, ip: Other));
        await f.WaitUntilAsync(async () => (await f.AlertsAsync(BruteForce)).Count == 2, "both brute-force alerts");
        var alerts = await f.AlertsAsync(BruteForce);
        var subjectAlert = Assert.Single(alerts, x => x.GroupBy["source.ip"] == Subject);
        Assert.Equal(later.Select(r => r.RecordId).Order(StringComparer.Ordinal), subjectAlert.RecordIds.Order(StringComparer.Ordinal));
        Assert.Equal(10, subjectAlert.Count);
        var otherAlert = Assert.Single(alerts, x => x.GroupBy["source.ip"] == Other);
        Assert.Equal(10, otherAlert.Count);
        Assert.DoesNotContain(otherAlert.RecordIds, scope.RecordIds.Contains);
        Assert.True(a.Pipeline.ForgetsApplied + b.Pipeline.ForgetsApplied >= 2);
    }

    private static async Task<bool> PartitionStateHoldsAsync(ScaleOutFixture f, string value)
    {
        var matcher = new SubjectValueMatcher(value);
        await foreach (var msg in StreamMessages.AllAsync(f.Js, "KV_" + ScaleOutOptions.Default.StateBucket, [], f.Timeout.Token))
        {
            if (msg.Data.Length == 0) continue;
            using var gzip = new System.IO.Compression.GZipStream(new MemoryStream(msg.Data.ToArray()), System.IO.Compression.CompressionMode.Decompress);
            using var plain = new MemoryStream();
            await gzip.CopyToAsync(plain, f.Timeout.Token);
            if (matcher.Count(plain.ToArray()) > 0) return true;
        }
        return false;
    }
}
