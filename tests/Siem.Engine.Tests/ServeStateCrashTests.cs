using Microsoft.Data.Sqlite;
using NodaTime;
using Siem.Core.Envelope;
using Siem.Core.Events;
using Siem.Engine.Pipeline;
using Siem.Nats;
using Siem.Nats.JetStream;
using Siem.Testing;

namespace Siem.Engine.Tests;

/// <summary>
/// `siem serve` killed with -9 after indexing messages whose acks still wait for the state snapshot: the restart
/// restores the older snapshot, gets those messages again, and the suppressed alert's count ends exactly where it
/// would have without the crash.
/// </summary>
public sealed class ServeStateCrashTests() : EngineBrokerTest("siem-serve-state-")
{
    private const string FailedLoginRule = "5d0c6a52-1f7e-4c59-9a55-3f1b2a7c9e01";
    private static readonly Instant Start = Instant.FromUtc(2026, 11, 22, 10, 0);

    [Fact]
    public async Task Kill_9_before_the_snapshot_redelivers_the_unacked_messages_and_the_alert_count_stays_exact()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        var (config, sealer, agent) = SiemServeProcess.Prepare(Dir, Server.Url, ruleFile: EngineStateTests.WriteFailedLoginRule(Dir));
        // Snapshots only at stop: whatever the engine indexes while it runs stays unacked.
        File.WriteAllText(config, File.ReadAllText(config).Replace("ack_wait_ms: 2000", "ack_wait_ms: 2000\n  state_snapshot_ms: 3600000", StringComparison.Ordinal));
        var data = Path.Combine(Dir, "data");
        async Task PublishAsync(ulong seq, int from, int count)
        {
            var env = sealer.Seal(seq, LogEventJson.EncodeBatch(EngineStateTests.FailedLogins(agent.AgentId, Start, from, count)));
            await Js.PublishAsync($"siem.events.{PipelineHarness.Tenant}.{agent.AgentId}", env.Body, PipelineHarness.Headers(env), cancellationToken: timeout.Token);
        }

        await using (var first = SiemServeProcess.Start(config))
        {
            await PublishAsync(1, 0, 6);
            await WaitAsync(() => Task.FromResult(AlertCount(data) == 6), first, "six failures folded into the alert", timeout.Token);
            Assert.Equal(0, await first.TerminateAsync(timeout.Token)); // the stop snapshots (6 records) and acks
        }
        await using (var second = SiemServeProcess.Start(config))
        {
            await PublishAsync(2, 6, 6);
            await WaitAsync(() => Task.FromResult(SiemServeProcess.CountIndex(data).Rows == 12), second, "twelve failures indexed", timeout.Token);
            // The count update waits for the snapshot (updates are coalesced until then), like the acks.
            Assert.Equal(6, AlertCount(data));
            second.KillHard(); // indexed and folded, but neither snapshotted nor acked
        }
        Assert.Equal(1, (await ConsumerAsync(timeout.Token)).NumAckPending);

        // The restarted engine snapshots (and so acks) as usual.
        File.WriteAllText(config, File.ReadAllText(config).Replace("state_snapshot_ms: 3600000", "state_snapshot_ms: 200", StringComparison.Ordinal));
        await using var third = SiemServeProcess.Start(config);
        await PublishAsync(3, 12, 1);
        await WaitAsync(async () => await DrainedAsync(timeout.Token) && AlertCount(data) == 13, third, "the redelivered message and the new one folded", timeout.Token);
        Assert.Equal(0, await third.TerminateAsync(timeout.Token));

        // Had the second engine acked before its snapshot, the restart would resume from six and end at seven.
        Assert.Equal(13, AlertCount(data));
        Assert.Equal(1, AlertRows(data));
        Assert.Equal((13L, 13L), SiemServeProcess.CountIndex(data));
    }

    private async Task<ConsumerInfo> ConsumerAsync(CancellationToken ct) => await Js.GetConsumerInfoAsync(EngineStreams.Events, "siem-engine", ct);

    private async Task<bool> DrainedAsync(CancellationToken ct)
    {
        var info = await ConsumerAsync(ct);
        return info.NumPending == 0 && info.NumAckPending == 0;
    }

    private static async Task WaitAsync(Func<Task<bool>> condition, SiemServeProcess engine, string what, CancellationToken ct)
    {
        while (!await condition())
        {
            if (engine.HasExited) throw new InvalidOperationException($"siem serve exited while waiting for {what}:\n{engine.Stderr}");
            if (ct.IsCancellationRequested) throw new TimeoutException($"timed out waiting for {what}:\n{engine.Stderr}");
            await Task.Delay(20, CancellationToken.None);
        }
    }

    private static long AlertCount(string dataDir) => Query(dataDir, $"SELECT COALESCE(MAX(count), 0) FROM alerts WHERE rule_id = '{FailedLoginRule}'");

    private static long AlertRows(string dataDir) => Query(dataDir, $"SELECT COUNT(*) FROM alerts WHERE rule_id = '{FailedLoginRule}'");

    private static long Query(string dataDir, string sql)
    {
        var path = Path.Combine(dataDir, "index.db");
        if (!File.Exists(path)) return 0;
        using var conn = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString());
        conn.Open();
        using var cmd = conn.CreateCommand();
        cmd.CommandText = "SELECT COUNT(*) FROM sqlite_master WHERE name = 'alerts'";
        if ((long)cmd.ExecuteScalar()! == 0) return 0;
        cmd.CommandText = sql;
        return (long)cmd.ExecuteScalar()!;
    }
}
