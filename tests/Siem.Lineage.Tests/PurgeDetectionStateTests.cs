using NodaTime;
using Siem.Core.Events;
using Siem.Engine.Detection;
using Siem.Engine.Purge;
using Siem.Lineage.Purge;
using Siem.Rules.Correlation;

namespace Siem.Lineage.Tests;

/// <summary>
/// A purge while the engine runs with open correlation windows: the windows on disk (<c>engine/state/correlation.json</c>)
/// and in the running engine forget the subject, and no file under the data dir holds the raw value afterwards.
/// </summary>
public sealed class PurgeDetectionStateTests
{
    private const string AliceIp = "10.9.8.7", BobIp = "10.9.8.71";

    [Fact]
    public async Task A_purge_during_a_run_removes_the_subject_from_open_correlation_windows_on_disk_and_in_the_running_engine()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(28));
        await using var h = await PurgeHarness.StartAsync();
        h.StartEngine(BruteForceDetector());
        // Four failures from alice's address and three from bob's: both windows open, neither at the threshold of ten.
        await h.PublishAsync([.. Enumerable.Range(0, 4).Select(i => Failure($"a{i}", "alice", AliceIp, 2 + i)), .. Enumerable.Range(0, 3).Select(i => Failure($"b{i}", "bob", BobIp, 4 + i))]);
        await h.WaitIndexedAsync(7, cts.Token);
        var correlationFile = Path.Combine(h.StateDir, EngineStatePurgeTarget.CorrelationFile);
        await WaitUntilAsync(() => File.Exists(correlationFile) && new SubjectValueMatcher(AliceIp).IsMatch(File.ReadAllText(correlationFile)), cts.Token);

        var coordinator = h.Coordinator();
        var job = await coordinator.RequestAsync("source.ip", AliceIp, "dpo@example.org", "GDPR art. 17", cancellationToken: cts.Token);
        var result = await coordinator.RunAsync(job.Id, "dpo@example.org", cts.Token);

        Assert.True(result.Verified, string.Join("; ", result.Checks.SelectMany(c => c.Where)));
        var engineState = result.Job.Steps.Single(s => s.Store == "engine-state");
        // The running engine forgot alice's four matches (and her window) and saved its state before it confirmed,
        // so the step found nothing left to rewrite in the file.
        Assert.Contains("1 running engine(s) confirmed the purge notice", engineState.Note, StringComparison.Ordinal);
        Assert.Equal(0, engineState.Deleted);
        Assert.False(new SubjectValueMatcher(AliceIp).IsMatch(File.ReadAllText(correlationFile)));
        Assert.Contains("\"b0\"", File.ReadAllText(correlationFile), StringComparison.Ordinal);
        Assert.Contains(result.Certificate["stores"]!.AsArray(), s => (string?)s!["store"] == "engine-state");
        Assert.Contains(result.Checks, c => c.Store == "engine-state" && c.Clean);
        // The running engine forgot her too: its next snapshot (taken for bob's new failure) holds bob's window, not hers.
        await h.PublishAsync(Failure("b9", "bob", BobIp, 6)); // within both windows: nothing ages out
        await WaitUntilAsync(() => File.ReadAllText(correlationFile).Contains("\"b9\"", StringComparison.Ordinal), cts.Token);
        var state = File.ReadAllText(correlationFile);
        Assert.False(new SubjectValueMatcher(AliceIp).IsMatch(state)); // as a token: bob's 10.9.8.71 starts with it
        Assert.DoesNotContain("\"a0\"", state, StringComparison.Ordinal);
        Assert.Contains("\"b0\"", state, StringComparison.Ordinal);
        Assert.True(h.Pipeline!.ForgetsApplied >= 1);
        await h.StopEngineAsync();
        await h.Index.CompactAsync(cts.Token);
        var scan = await DataDirByteScan.ScanAsync(h.DataDir, new SubjectValueMatcher(AliceIp), job.SubjectId, cts.Token);
        Assert.True(scan.Clean, string.Join("; ", scan.Where));
    }

    internal static SigmaDetector BruteForceDetector()
    {
        var root = RepoRoot();
        return SigmaDetector.Load([Path.Combine(root, "rules", "packs", "linux", "mr_ssh_brute_force.yml")],
            Path.Combine(root, "rules", "packs", "pipelines", "default.yml"), CorrelationOptions.Default);
    }

    /// <summary>A failed sshd login as the agent's parser makes it.</summary>
    internal static LogEvent Failure(string id, string user, string ip, int minute)
    {
        var e = PurgeHarness.Record(id, user, ip, minute);
        e.Set(EcsFields.ProcessName, "sshd");
        e.Set(EcsFields.EventAction, "ssh_login");
        e.Set(EcsFields.EventOutcome, "failure");
        return e;
    }

    private static async Task WaitUntilAsync(Func<bool> condition, CancellationToken ct)
    {
        while (!condition()) await Task.Delay(50, ct);
    }

    private static string RepoRoot()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d != null; d = d.Parent)
        {
            if (Directory.Exists(Path.Combine(d.FullName, "rules", "packs"))) return d.FullName;
        }
        throw new InvalidOperationException("rules/packs not found above the test assembly");
    }
}
