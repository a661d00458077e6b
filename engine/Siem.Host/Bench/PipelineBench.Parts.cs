using System.Globalization;
using Siem.Collectors.Agent;
using Siem.Collectors.Enrollment;
using Siem.Core.Envelope;
using Siem.Core.Security;
using Siem.Engine.Detection;
using Siem.Engine.Index;
using Siem.Engine.Pipeline;
using Siem.Nats;

namespace Siem.Host.Bench;

internal static partial class PipelineBench
{
    private static readonly string[] Users = ["root", "admin", "oracle", "ubuntu", "test", "git", "postgres"];

    /// <summary>
    /// A realistic auth.log mix: failed passwords (known and invalid users), accepted keys, closed connections from
    /// 1000 addresses; every <paramref name="triggerEvery"/>th line is a useradd of a unique user (a new alert).
    /// </summary>
    internal static string Line(int i, int triggerEvery, DateTime at, string triggerPrefix = "tp")
    {
        var ts = at.ToString("MMM dd HH:mm:ss", CultureInfo.InvariantCulture);
        if (i % triggerEvery == 0)
            return string.Create(CultureInfo.InvariantCulture, $"{ts} web-01 useradd[{3000 + i % 900}]: new user: name={triggerPrefix}{i / triggerEvery}, UID={2000 + i % 60000}, GID=100, home=/home/x, shell=/bin/bash, from=/dev/pts/1");
        // Internet noise comes from a limited set of scanners: 1000 addresses, so repeats fold into open alerts as they would.
        int a = (int)((uint)(i * 2654435761u) % 1000u);
        var ip = string.Create(CultureInfo.InvariantCulture, $"{45 + a % 150}.{a / 7 % 256}.{a / 11 % 256}.{a % 254 + 1}");
        var user = Users[i % Users.Length];
        return (i % 4) switch
        {
            0 => $"{ts} web-01 sshd[{2000 + i % 900}]: Failed password for invalid user {user}{i % 5000} from {ip} port {30000 + i % 30000} ssh2",
            1 => $"{ts} web-01 sshd[{2000 + i % 900}]: Failed password for {user} from {ip} port {30000 + i % 30000} ssh2",
            2 => $"{ts} web-01 sshd[{2000 + i % 900}]: Accepted publickey for {user} from {ip} port {30000 + i % 30000} ssh2: RSA SHA256:abc{i}",
            _ => $"{ts} web-01 sshd[{2000 + i % 900}]: Connection closed by authenticating user {user} {ip} port {30000 + i % 30000} [preauth]",
        };
    }

    /// <summary>An agent state dir as enrollment leaves it, and the agent registered with the engine.</summary>
    private static string PrepareAgent(string dir, string agentId, EngineKeyPair engineKey, AgentRegistry registry)
    {
        var stateDir = Path.Combine(dir, agentId);
        var identity = AgentIdentity.Create(agentId);
        identity.Save(Path.Combine(stateDir, EnrollmentState.IdentityFile));
        new EnrollmentState(agentId, "bench", engineKey.KeyId, Convert.ToBase64String(engineKey.AgreementPublicKey), $"siem.events.bench.{agentId}").Save(stateDir);
        registry.Register(agentId, identity.SigningPublicKey, "bench");
        return stateDir;
    }

    private static AgentHostOptions AgentOptions(string stateDir, string url, TextWriter log) => new()
    {
        StateDir = stateDir,
        Nats = NatsOpts.Default with { Servers = [url], Name = "siem-bench-agent" },
        Log = m => log.WriteLine($"agent: {m}"),
    };

    /// <summary>The engine as the engine role runs it (default options, SQLite index), on its own index dir.</summary>
    private sealed class EngineUnderTest : IAsyncDisposable
    {
        private readonly CancellationTokenSource _stop = new();
        private Task _run = Task.CompletedTask;
        private SqliteIndexSink _index = null!;
        private BatchSequenceTracker _sequences = null!;

        public EventPipeline Pipeline { get; private set; } = null!;

        public static async Task<EngineUnderTest> StartAsync(NatsConnection connection, string indexDir, EngineKeyPair key, AgentRegistry registry, SigmaDetector detector, TextWriter log, CancellationToken cancellationToken)
        {
            var e = new EngineUnderTest { _index = SqliteIndexSink.Open(indexDir), _sequences = new BatchSequenceTracker(indexDir) };
            var opener = new EnvelopeOpener(new Dictionary<string, EngineKeyPair> { [key.KeyId] = key }, registry);
            e.Pipeline = new EventPipeline(connection, e._index, opener, e._sequences, detector, EngineOptions.Default with { Log = log, StateDir = Path.Combine(indexDir, "state") });
            await e.Pipeline.CreateConsumerAsync(cancellationToken).ConfigureAwait(false);
            e._run = Task.Run(() => e.Pipeline.RunAsync(e._stop.Token), CancellationToken.None);
            return e;
        }

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync().ConfigureAwait(false);
            try { await _run.ConfigureAwait(false); } catch (OperationCanceledException) { }
            _sequences.Dispose();
            await _index.DisposeAsync().ConfigureAwait(false);
            _stop.Dispose();
        }
    }
}
