using System.Collections.Concurrent;
using Siem.Api.Purges;
using Siem.Lineage.Audit;
using Siem.Lineage.Purge;
using Siem.Lineage.Subjects;
using Siem.Nats;
using Siem.Nats.JetStream;
using Siem.Testing;

namespace Siem.Api.Tests.Purges;

/// <summary>Two API instances (own purge coordinator, runner and NATS connection) sharing the jobs, on one real nats-server.</summary>
public sealed class ClusterPurgeClaimTests : IAsyncLifetime
{
    private static readonly TimeSpan Lease = TimeSpan.FromSeconds(2);
    private readonly ConcurrentQueue<string> _events = new();
    private readonly CancellationTokenSource _timeout = new(TimeSpan.FromSeconds(30));
    private readonly string _dir = Directory.CreateTempSubdirectory("siem-purge-claims-").FullName;
    private NatsServer _nats = null!;
    private Instance _a = null!;
    private Instance _b = null!;

    private sealed record Instance(string Name, NatsConnection Connection, GateTarget Gate, PurgeRunner Runner, ConcurrentQueue<string> Log);

    public async Task InitializeAsync()
    {
        _nats = await NatsServer.StartAsync();
        _a = await StartInstanceAsync("A");
        _b = await StartInstanceAsync("B");
    }

    private async Task<Instance> StartInstanceAsync(string name)
    {
        var connection = new NatsConnection(NatsOpts.Default with { Servers = [_nats.Url], RequestTimeout = TimeSpan.FromSeconds(1) });
        await connection.ConnectAsync(_timeout.Token);
        var gate = new GateTarget(name, _events);
        var coordinator = new PurgeCoordinator(_dir, [gate], SubjectPseudonymizer.Open(_dir), new AuditLog(_dir), new PurgeOptions { ApprovalsRequired = 0 });
        var log = new ConcurrentQueue<string>();
        var runner = new PurgeRunner(coordinator, log.Enqueue, new NatsPurgeClaims(new NatsJSContext(connection), "instance-" + name, Lease));
        return new Instance(name, connection, gate, runner, log);
    }

    private async Task<string> RequestAsync() =>
        (await _a.Runner.Coordinator.RequestAsync("user.name", "alice", "casey", "erasure request ER-9", cancellationToken: _timeout.Token)).Id;

    private async Task WaitForAsync(Func<bool> condition)
    {
        while (!condition()) await Task.Delay(20, _timeout.Token);
    }

    [Fact]
    public async Task The_same_job_started_on_two_instances_runs_once()
    {
        string id = await RequestAsync();

        Assert.True(_a.Runner.Start(id, "casey"));
        await WaitForAsync(() => _events.Contains("A entered"));
        Assert.True(_b.Runner.Start(id, "robin"));
        await WaitForAsync(() => _b.Log.Contains($"purge {id}: running in another API process; this one takes it over if that one stops"));
        _a.Gate.Open();
        await _a.Runner.WhenDoneAsync(id).WaitAsync(_timeout.Token);
        await _b.Runner.WhenDoneAsync(id).WaitAsync(_timeout.Token);

        Assert.Equal(["A entered", "A done"], _events);
        var job = _b.Runner.Coordinator.Jobs.Load(id);
        Assert.Equal(PurgeJobState.Certified, job.State);
        Assert.Equal("purged by A", Assert.Single(job.Steps).Note);
        Assert.False(_b.Runner.IsRunning(id));
    }

    [Fact]
    public async Task When_the_holder_dies_the_other_instance_takes_the_job_over_after_the_lease()
    {
        string id = await RequestAsync();
        _a.Runner.Start(id, "casey");
        await WaitForAsync(() => _events.Contains("A entered"));
        _b.Runner.Start(id, "robin");
        await WaitForAsync(() => _b.Log.Any(l => l.Contains("running in another API process", StringComparison.Ordinal)));

        // A crashes as far as NATS can tell: no more renewals, no release.
        await _a.Connection.DisposeAsync();
        await WaitForAsync(() => _events.Contains("B entered"));
        _b.Gate.Open();
        await _b.Runner.WhenDoneAsync(id).WaitAsync(_timeout.Token);

        // A stopped its run when it could not renew (before its lease ran out), and only then did B start.
        Assert.Equal(["A entered", "A cancelled", "B entered", "B done"], _events);
        Assert.Contains(_a.Log, l => l == $"purge {id}: stopped: its claim could not be renewed (NATS unreachable), so another process may take it over; resumable");
        var job = _b.Runner.Coordinator.Jobs.Load(id);
        Assert.Equal(PurgeJobState.Certified, job.State);
        Assert.Equal("purged by B", Assert.Single(job.Steps).Note);
    }

    public async Task DisposeAsync()
    {
        foreach (var instance in new[] { _a, _b })
        {
            instance.Gate.Open();
            await instance.Runner.DisposeAsync();
            await instance.Connection.DisposeAsync();
        }
        await _nats.DisposeAsync();
        _timeout.Dispose();
        Directory.Delete(_dir, recursive: true);
    }
}
