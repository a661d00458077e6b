using System.Text;
using Siem.Collectors.Agent;
using Siem.Collectors.Delivery;
using Siem.Collectors.Enrollment;
using Siem.Collectors.Sources;
using Siem.Core.Envelope;
using Siem.Core.Events;
using Siem.Core.Security;
using Siem.Nats;
using Siem.Nats.JetStream;
using Siem.Testing;

namespace Siem.Collectors.Tests.Agent;

/// <summary>
/// A real nats-server with the SIEM_EVENTS stream, an engine key + registry, and an agent state dir enrolled
/// directly (the enrollment round trip has its own tests). Reads the stream back and opens every envelope.
/// </summary>
internal sealed class AgentTestKit : IAsyncDisposable
{
    public const string AgentId = "web-01";
    public const string Subject = "siem.events.acme.web-01";

    public NatsServer Server { get; }
    public string Dir { get; } = Directory.CreateTempSubdirectory("siem-agent-test-").FullName;
    public string StateDir => Path.Combine(Dir, "state");
    public string LogPath => Path.Combine(Dir, "auth.log");
    public EngineKeyPair EngineKey { get; } = EngineKeyPair.Create();
    public AgentRegistry Registry { get; } = new();
    public List<string> Log { get; } = [];

    private AgentTestKit(NatsServer server) => Server = server;

    public static async Task<AgentTestKit> StartAsync()
    {
        var kit = new AgentTestKit(await NatsServer.StartAsync());
        await using (var connection = new NatsConnection(NatsOpts.Default with { Servers = [kit.Server.Url] }))
        {
            await connection.ConnectAsync();
            await new NatsJSContext(connection).CreateStreamAsync(new StreamConfig("SIEM_EVENTS", "siem.events.>")
            {
                Retention = RetentionPolicy.WorkQueue,
                DuplicateWindow = TimeSpan.FromMinutes(2),
            });
        }
        var identity = AgentIdentity.Create(AgentId);
        identity.Save(Path.Combine(kit.StateDir, EnrollmentState.IdentityFile));
        new EnrollmentState(AgentId, "acme", kit.EngineKey.KeyId, Convert.ToBase64String(kit.EngineKey.AgreementPublicKey), Subject).Save(kit.StateDir);
        kit.Registry.Register(AgentId, identity.SigningPublicKey, "acme");
        File.WriteAllText(kit.LogPath, "");
        return kit;
    }

    public AgentHostOptions Options() => new()
    {
        StateDir = StateDir,
        Nats = NatsOpts.Default with { Servers = [Server.Url], Name = "siem-agent-test", ReconnectWaitMax = TimeSpan.FromMilliseconds(300) },
        Batch = new BatchOptions { MaxRecords = 100, Linger = TimeSpan.FromMilliseconds(50) },
        Shipper = new ShipperOptions { MaxInFlight = 16, AckTimeout = TimeSpan.FromSeconds(2), RetryDelay = TimeSpan.FromMilliseconds(100) },
        StatusInterval = TimeSpan.FromMilliseconds(200),
        Log = m => { lock (Log) Log.Add(m); },
    };

    public FileTailSource FileSource() => new(new FileTailOptions
    {
        Paths = [LogPath],
        CheckpointPath = Path.Combine(StateDir, "checkpoints", "auth.json"),
        PollInterval = TimeSpan.FromMilliseconds(20),
    });

    public static string Line(int i) =>
        $"Nov 22 04:{i / 60 % 60:D2}:{i % 60:D2} web-01 sshd[{1000 + i % 50}]: Failed password for invalid user u{i} from 10.0.{i / 250 % 250}.{i % 250} port {20000 + i % 40000} ssh2";

    public void AppendLines(int from, int count)
    {
        var sb = new StringBuilder();
        for (var i = from; i < from + count; i++) sb.Append(Line(i)).Append('\n');
        File.AppendAllText(LogPath, sb.ToString());
    }

    /// <summary>Every message in SIEM_EVENTS, opened; fails the test on any envelope that does not open.</summary>
    public async Task<List<(ulong BatchSeq, List<LogEvent> Events)>> ReadStreamAsync()
    {
        await using var connection = new NatsConnection(NatsOpts.Default with { Servers = [Server.Url] });
        await connection.ConnectAsync();
        var js = new NatsJSContext(connection);
        var info = await js.GetStreamAsync("SIEM_EVENTS");
        var opener = new EnvelopeOpener(new Dictionary<string, EngineKeyPair> { [EngineKey.KeyId] = EngineKey }, Registry);
        var result = new List<(ulong, List<LogEvent>)>();
        for (var seq = info.State.FirstSeq; seq <= info.State.LastSeq && info.State.Messages > 0; seq++)
        {
            var msg = await js.GetMsgAsync("SIEM_EVENTS", seq);
            var opened = opener.Open(name => msg.Headers?[name], msg.Data.Span);
            Assert.True(opened.Ok, $"stream seq {seq}: {opened.Failure} {opened.Detail}");
            result.Add((opened.BatchSeq, LogEventJson.DecodeBatch(opened.Plaintext)));
        }
        return result;
    }

    /// <summary>Asserts the stream holds lines [0, count) exactly once each, batches in sequence order, lines in file order.</summary>
    public async Task AssertExactlyOnceInOrderAsync(int count)
    {
        var batches = await ReadStreamAsync();
        // The engine's replay check relies on the stream holding an agent's batches in batch-sequence order.
        var streamOrder = batches.Select(b => b.BatchSeq).ToList();
        Assert.Equal(streamOrder.Order(), streamOrder);
        var originals = batches.OrderBy(b => b.BatchSeq).SelectMany(b => b.Events).Select(e => e.Original).ToList();
        var ids = batches.SelectMany(b => b.Events).Select(e => e.RecordId).ToList();
        Assert.Equal(count, ids.Distinct(StringComparer.Ordinal).Count());
        Assert.Equal(count, ids.Count);
        Assert.Equal(Enumerable.Range(0, count).Select(Line), originals);
        Assert.All(batches.SelectMany(b => b.Events), e => Assert.Equal(AgentId, e.AgentId));
    }

    public static async Task WaitUntilAsync(Func<bool> condition, string what, int seconds = 15)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"timed out waiting for: {what}");
            await Task.Delay(20);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Server.DisposeAsync();
        try { Directory.Delete(Dir, recursive: true); } catch (IOException) { }
    }
}
