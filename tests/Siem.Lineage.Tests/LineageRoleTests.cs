using Siem.Core.Envelope;
using Siem.Core.Events;
using Siem.Core.Security;
using Siem.Engine.Pipeline;
using Siem.Host.Server;
using Siem.Host.Server.Config;
using Siem.Lineage.Hops;
using Siem.Lineage.Ledger;
using Siem.Lineage.Subjects;
using Siem.Nats;
using Siem.Nats.JetStream;
using Siem.Testing;

namespace Siem.Lineage.Tests;

public sealed class LineageRoleTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("siem-role-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task Serve_with_the_engine_and_lineage_roles_stores_every_indexed_record_in_the_ledger()
    {
        await using var server = await NatsServer.StartAsync();
        var data = Path.Combine(_dir, "data");
        Directory.CreateDirectory(Path.Combine(data, "engine"));
        var key = EngineKeyPair.Create();
        key.Save(Path.Combine(data, "engine", "engine-key.json"));
        var agent = AgentIdentity.Create("agent-1");
        new AgentRegistry(Path.Combine(data, "engine", "agents.json")).Register(agent.AgentId, agent.SigningPublicKey, LineageHarness.Tenant);
        var config = ServerConfigLoader.Parse($"""
            server:
              data_dir: data
            nats:
              urls: [{server.Url}]
            rules:
              include_pack: false
            """, baseDir: _dir);

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(25));
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token);
        var log = new StringWriter();
        var serve = Task.Run(() => ServerHost.RunAsync(config, ServerRoles.Create(["engine", "lineage"]), log, stop.Token));

        await using var conn = new NatsConnection(NatsOpts.Default with { Servers = [server.Url] });
        await conn.ConnectAsync();
        var js = new NatsJSContext(conn);
        await EngineStreams.EnsureAsync(js);
        var sealer = new EnvelopeSealer(agent, key.AgreementPublicKey, key.KeyId);
        var env = sealer.Seal(1, LogEventJson.EncodeBatch([LineageHarness.Login("r1", 1, "alice", "203.0.113.7"), LineageHarness.Login("r2", 2, "bob", "198.51.100.9", failed: false)]));
        var headers = new NatsHeaders();
        foreach (var (k, v) in env.Headers) headers.Add(k, v);
        var ack = await js.PublishAsync($"siem.events.{LineageHarness.Tenant}.{agent.AgentId}", env.Body, headers, cancellationToken: timeout.Token);

        // Settled: the engine acked the message (after the lineage PubAck) and the ledger stored and acked every hop.
        while (true)
        {
            // Read the log only once serve has stopped: the server thread writes to it while it runs.
            if (serve.IsCompleted) Assert.Fail($"siem serve stopped early:\n{log}");
            var engine = await TryInfoAsync(js, EngineStreams.Events, EngineOptions.Default.Durable, timeout.Token);
            var ledger = await TryInfoAsync(js, LineageStreams.Stream, LineageStreams.LedgerDurable, timeout.Token);
            if (engine is { NumPending: 0, NumAckPending: 0, Delivered.StreamSeq: > 0 } && ledger is { NumPending: 0, NumAckPending: 0, Delivered.StreamSeq: > 0 }) break;
            await Task.Delay(50, timeout.Token);
        }
        await stop.CancelAsync();
        Assert.Equal(0, await serve);

        await using var stored = LineageLedger.Open(data);
        var alice = SubjectPseudonymizer.Open(data).SubjectId("user.name", "alice");
        var record = Assert.Single(await stored.RecordsOfSubjectAsync(alice));
        Assert.Equal(("r1", ack.Seq, "sqlite:" + Path.Combine(data, "index.db")), (record.RecordId, record.StreamSeq, record.Index));
        Assert.Contains("lineage: storing hops of SIEM_LINEAGE", log.ToString(), StringComparison.Ordinal);
    }

    private static async Task<ConsumerInfo?> TryInfoAsync(NatsJSContext js, string stream, string durable, CancellationToken ct)
    {
        try { return await js.GetConsumerInfoAsync(stream, durable, ct); }
        catch (NatsJSApiException) { return null; }
    }
}
