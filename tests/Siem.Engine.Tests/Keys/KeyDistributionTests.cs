using System.Text;
using Siem.Core.Envelope;
using Siem.Core.Security;
using Siem.Engine.Control;
using Siem.Engine.Keys;
using Siem.Host.Commands;
using Siem.Nats.JetStream;

namespace Siem.Engine.Tests.Keys;

/// <summary>
/// Engines with separate data dirs (two hosts) that share only their first key learn each other's rotations and
/// retirements through the SIEM_ENGINE_KEYS bucket of a real nats-server, and nobody else can slip them a key.
/// </summary>
public sealed class KeyDistributionTests() : EngineBrokerTest("siem-key-distribution-")
{
    /// <summary>One engine's key side as the engine role wires it: live keys, an opener following them, the distribution.</summary>
    private sealed class EngineKeys(string dataDir, LiveEngineKeys live, EnvelopeOpener opener, List<string> log, AgentRegistry registry)
    {
        public string DataDir => dataDir;
        public LiveEngineKeys Live => live;
        public EnvelopeOpener Opener => opener;
        public AgentRegistry Registry => registry;
        public string Log { get { lock (log) return string.Join('\n', log); } }
        public EngineKeyDistribution Distribution { get; set; } = null!;
    }

    private readonly List<Task> _running = [];
    private readonly CancellationTokenSource _stop = new();

    public override async Task DisposeAsync()
    {
        await _stop.CancelAsync();
        await Task.WhenAll(_running);
        _stop.Dispose();
        await base.DisposeAsync();
    }

    /// <param name="watch">False: the engine never hears announcements from its watch (as in the moment before it delivers one).</param>
    private async Task<EngineKeys> StartEngineAsync(string name, CancellationToken ct, bool watch = true)
    {
        var dataDir = Path.Combine(Dir, name);
        var ring = EngineKeyRing.Open(dataDir, out _);
        var registry = new AgentRegistry();
        var log = new List<string>();
        void Log(string m) { lock (log) log.Add(m); }
        var live = new LiveEngineKeys(dataDir, ring, registry, Log);
        var distribution = await EngineKeyDistribution.StartAsync(Js, dataDir, live, log: Log, cancellationToken: ct);
        // A key not held: the key files first, then the key's bucket entry.
        var opener = new EnvelopeOpener(ring.ById, registry) { ReloadEngineKeys = keyId => live.Refresh() | distribution.TryTakeUp(keyId) };
        live.Changed += r => opener.UseEngineKeys(r.ById);
        var engine = new EngineKeys(dataDir, live, opener, log, registry) { Distribution = distribution };
        _running.Add(Task.Run(() => live.RunAsync(TimeSpan.FromMilliseconds(200), _stop.Token)));
        if (watch) _running.Add(Task.Run(() => engine.Distribution.WatchAsync(_stop.Token)));
        return engine;
    }

    /// <summary>The operator's one-time step: the second host gets the first host's key file.</summary>
    private void ShareFirstKey(string from, string to)
    {
        Directory.CreateDirectory(Path.Combine(Dir, to, "engine"));
        File.Copy(EngineKeyRing.CurrentPath(Path.Combine(Dir, from)), EngineKeyRing.CurrentPath(Path.Combine(Dir, to)));
    }

    private static async Task WaitAsync(Func<bool> condition, string what, EngineKeys engine, CancellationToken ct)
    {
        while (!condition())
        {
            if (ct.IsCancellationRequested) throw new TimeoutException($"timed out waiting for {what}; engine log:\n{engine.Log}");
            await Task.Delay(25, CancellationToken.None);
        }
    }

    private static EnvelopeOpenResult Open(EnvelopeOpener opener, SealedEnvelope env) =>
        opener.Open(h => env.Headers.FirstOrDefault(kv => kv.Key == h).Value, env.Body);

    [Fact]
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    public async Task A_rotation_and_a_retirement_on_one_host_reach_a_running_engine_on_another_data_dir()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(45));
        var a = await StartEngineAsync("host-a", timeout.Token);
        ShareFirstKey("host-a", "host-b");
        var b = await StartEngineAsync("host-b", timeout.Token);
        var first = a.Live.Ring.Current;
        Assert.Equal(first.KeyId, b.Live.Ring.Current.KeyId);
        var agent = AgentIdentity.Create("web-01");
        b.Registry.Register(agent.AgentId, agent.SigningPublicKey, "t1");

        // The operator rotates on host A only.
        Assert.Equal(0, await KeysCommand.RunAsync(a.DataDir, null, TextWriter.Null, TextWriter.Null, "rotate", null, cancellationToken: timeout.Token));
        var second = EngineKeyRing.Open(a.DataDir, out _).Current;
        await WaitAsync(() => b.Live.Ring.Current.KeyId == second.KeyId, "host B taking up the rotated key", b, timeout.Token);

        // B serves it to its agents (its ring), holds it on disk (0600), and opens batches sealed to it; the old key still opens.
        var onDisk = EngineKeyRing.Open(b.DataDir, out _);
        Assert.Equal(second.KeyId, onDisk.Current.KeyId);
        Assert.Equal(second.AgreementPublicKey, onDisk.Current.AgreementPublicKey);
        Assert.Equal([first.KeyId], onDisk.Previous.Select(k => k.KeyId));
        Assert.Equal(SecureFile.OwnerOnly, File.GetUnixFileMode(EngineKeyRing.CurrentPath(b.DataDir)));
        var sealedToNew = new EnvelopeSealer(agent, second.AgreementPublicKey, second.KeyId).Seal(1, Encoding.UTF8.GetBytes("[]"));
        var sealedToOld = new EnvelopeSealer(agent, first.AgreementPublicKey, first.KeyId).Seal(2, Encoding.UTF8.GetBytes("[]"));
        Assert.True(Open(b.Opener, sealedToNew).Ok);
        Assert.True(Open(b.Opener, sealedToOld).Ok);
        Assert.Contains($"engine key {second.KeyId} taken up from another engine (SIEM_ENGINE_KEYS): now current (was {first.KeyId})", b.Log, StringComparison.Ordinal);
        Assert.Equal(1, b.Distribution.Imported);

        // The operator retires the old key on host A: B stops opening it too, and the key's private half leaves the bucket.
        Assert.Equal(0, await KeysCommand.RunAsync(a.DataDir, Js, TextWriter.Null, TextWriter.Null, "retire", first.KeyId, cancellationToken: timeout.Token));
        await WaitAsync(() => !b.Live.Ring.ById.ContainsKey(first.KeyId), "host B retiring the old key", b, timeout.Token);
        Assert.Equal(EnvelopeFailure.UnknownKey, Open(b.Opener, sealedToOld).Failure);
        Assert.Contains(first.KeyId, EngineKeyRing.Open(b.DataDir, out _).Retired);
        var bucket = await Js.GetKeyValueAsync(EngineKeyDistribution.Bucket, timeout.Token);
        var announced = EngineKeyAnnouncement.Decode((await bucket.GetAsync(EngineKeyDistribution.KeyPrefix + first.KeyId, timeout.Token))!.Value.Span)!;
        Assert.Equal((true, null, null), (announced.Retired, announced.PublicKey, announced.Wrapped));
        Assert.Equal(1, b.Distribution.RetiredFromElsewhere);
    }

    [Fact]
    public async Task A_key_wrapped_under_a_key_the_engine_does_not_hold_or_forged_or_retired_here_is_not_taken_up()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(45));
        var b = await StartEngineAsync("host-b", timeout.Token);
        var held = b.Live.Ring.Current;
        var bucket = await Js.GetKeyValueAsync(EngineKeyDistribution.Bucket, timeout.Token);

        // Someone on the bus without B's key: a key of theirs, wrapped under a key of theirs that claims B's key id.
        var attackerWrapper = EngineKeyPair.Create();
        var planted = EngineKeyPair.Create();
        var forged = EngineKeyAnnouncement.Of(planted, []) with { Wrapped = new Dictionary<string, string> { [held.KeyId] = EngineKeyWrap.Wrap(attackerWrapper, planted) } };
        await bucket.PutAsync(EngineKeyDistribution.KeyPrefix + planted.KeyId, forged.Encode(), timeout.Token);
        // A genuine key wrapped only under a key B never had.
        var stranger = EngineKeyPair.Create();
        var unknownWrapper = EngineKeyPair.Create();
        await bucket.PutAsync(EngineKeyDistribution.KeyPrefix + stranger.KeyId, EngineKeyAnnouncement.Of(stranger, [unknownWrapper]).Encode(), timeout.Token);

        await WaitAsync(() => b.Log.Contains($"engine key {stranger.KeyId} announced by another engine cannot be taken up here", StringComparison.Ordinal), "the refusal logged", b, timeout.Token);
        Assert.Contains($"engine key {planted.KeyId} announced by another engine cannot be taken up here: it is wrapped only under {held.KeyId}", b.Log, StringComparison.Ordinal);
        Assert.Equal([held.KeyId], EngineKeyRing.Open(b.DataDir, out _).ById.Keys);

        // A key retired on this host stays retired even though an announcement wrapped under B's key is still around.
        var ring = EngineKeyRing.Open(b.DataDir, out _).Rotate();
        var old = ring.Previous.Single();
        Assert.True(b.Live.Refresh());
        ring.Retire(old.KeyId);
        Assert.True(b.Live.Refresh());
        var resurrect = EngineKeyAnnouncement.Of(old, [ring.Current]);
        await bucket.PutAsync(EngineKeyDistribution.KeyPrefix + old.KeyId, resurrect.Encode(), timeout.Token);
        await bucket.PutAsync(EngineKeyDistribution.KeyPrefix + stranger.KeyId, EngineKeyAnnouncement.Of(stranger, [EngineKeyPair.Create()]).Encode(), timeout.Token);
        await WaitAsync(() => b.Log.Split('\n').Count(l => l.StartsWith($"engine key {stranger.KeyId} announced", StringComparison.Ordinal)) == 2, "the second announcement applied", b, timeout.Token);
        Assert.Equal([ring.Current.KeyId], EngineKeyRing.Open(b.DataDir, out _).ById.Keys);
        Assert.Equal(0, b.Distribution.Imported);
    }

    [Fact]
    public async Task A_batch_sealed_to_a_key_rotated_on_another_host_opens_before_the_watch_delivers_the_key_and_made_up_key_ids_are_looked_up_at_a_limited_rate()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(45));
        var a = await StartEngineAsync("host-a", timeout.Token);
        ShareFirstKey("host-a", "host-b");
        var b = await StartEngineAsync("host-b", timeout.Token, watch: false);
        var clock = new SteppedClock();
        b.Distribution.LookupClock = clock;
        var agent = AgentIdentity.Create("web-01");
        b.Registry.Register(agent.AgentId, agent.SigningPublicKey, "t1");

        // Rotated on host A; A announces the key in the bucket, and an agent seals to it before B has heard of it.
        Assert.Equal(0, await KeysCommand.RunAsync(a.DataDir, null, TextWriter.Null, TextWriter.Null, "rotate", null, cancellationToken: timeout.Token));
        var second = EngineKeyRing.Open(a.DataDir, out _).Current;
        var bucket = await Js.GetKeyValueAsync(EngineKeyDistribution.Bucket, timeout.Token);
        while (await bucket.GetAsync(EngineKeyDistribution.KeyPrefix + second.KeyId, timeout.Token) is null)
        {
            if (timeout.IsCancellationRequested) throw new TimeoutException($"host A never announced {second.KeyId}; engine log:\n{a.Log}");
            await Task.Delay(25, CancellationToken.None);
        }
        Assert.False(b.Live.Ring.ById.ContainsKey(second.KeyId));
        var sealedToNew = new EnvelopeSealer(agent, second.AgreementPublicKey, second.KeyId).Seal(1, Encoding.UTF8.GetBytes("[]"));

        var opened = Open(b.Opener, sealedToNew);
        Assert.True(opened.Ok, opened.Detail);
        Assert.Equal(second.KeyId, b.Live.Ring.Current.KeyId);
        Assert.Equal(second.KeyId, EngineKeyRing.Open(b.DataDir, out _).Current.KeyId);
        Assert.Equal((1L, 1L), (b.Distribution.KeyLookups, b.Distribution.Imported));
        Assert.True(Open(b.Opener, sealedToNew).Ok);
        Assert.Equal(1, b.Distribution.KeyLookups); // held now: no second lookup

        // A key id nobody announced: looked up once, then not again within the interval; refused as unknown_key each time.
        var madeUp = new EnvelopeSealer(agent, EngineKeyPair.Create().AgreementPublicKey, "made-up-key").Seal(2, Encoding.UTF8.GetBytes("[]"));
        Assert.Equal(EnvelopeFailure.UnknownKey, Open(b.Opener, madeUp).Failure);
        Assert.Equal(EnvelopeFailure.UnknownKey, Open(b.Opener, madeUp).Failure);
        Assert.Equal((2L, 1L), (b.Distribution.KeyLookups, b.Distribution.KeyLookupsLimited));
        clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(EnvelopeFailure.UnknownKey, Open(b.Opener, madeUp).Failure);
        Assert.Equal(3, b.Distribution.KeyLookups);

        // Many made-up key ids within one second: at most ten bucket lookups.
        clock.Advance(TimeSpan.FromSeconds(1));
        for (int i = 0; i < 30; i++)
        {
            var other = new EnvelopeSealer(agent, EngineKeyPair.Create().AgreementPublicKey, $"made-up-{i}").Seal((ulong)(3 + i), Encoding.UTF8.GetBytes("[]"));
            Assert.Equal(EnvelopeFailure.UnknownKey, Open(b.Opener, other).Failure);
        }
        Assert.Equal((13L, 21L), (b.Distribution.KeyLookups, b.Distribution.KeyLookupsLimited));
    }

    /// <summary>A clock that moves only when the test says so.</summary>
    private sealed class SteppedClock : TimeProvider
    {
        private long _ticks = 1;

        public override long TimestampFrequency => TimeSpan.TicksPerSecond;

        public override long GetTimestamp() => Interlocked.Read(ref _ticks);

        public void Advance(TimeSpan by) => Interlocked.Add(ref _ticks, by.Ticks);
    }
}
