using Siem.Nats.JetStream;
using Siem.Testing;
using static Siem.Nats.Tests.JetStreamTestKit;

namespace Siem.Nats.Tests;

/// <summary>
/// <see cref="NatsJSContext.EnsureStreamAsync"/> on a real 3-node cluster: what every siem process runs at start must
/// never re-place an operator's R3 stream (an R1 update did, and losing that one node left the stream leaderless).
/// </summary>
public sealed class EnsureStreamTests
{
    [Fact]
    public async Task Ensure_keeps_an_existing_R3_stream_and_its_unnamed_limits_and_applies_the_named_settings()
    {
        var ct = Timeout(60);
        await using var cluster = await NatsCluster.StartAsync(cancellationToken: ct);
        await using var nc = new NatsConnection(NatsOpts.Default with { Servers = cluster.Urls, RequestTimeout = TimeSpan.FromSeconds(5) });
        await nc.ConnectAsync(ct);
        var js = new NatsJSContext(nc);
        var operatorMade = new StreamConfig("EVENTS", "ev.>") { Replicas = 3, MaxBytes = 1 << 20, DuplicateWindow = TimeSpan.FromMinutes(2) };
        while (true)
        {
            try
            {
                await js.CreateStreamAsync(operatorMade, ct);
                break;
            }
            catch (NatsJSApiException e) when (e.ErrCode == 10005) // the meta leader does not know every peer yet
            {
                await Task.Delay(250, ct);
            }
        }

        // What an engine with the default replicas asks for: same subjects, no byte limit named, a new max age.
        var ensured = await js.EnsureStreamAsync(new StreamConfig("EVENTS", "ev.>") { MaxAge = TimeSpan.FromDays(30), DuplicateWindow = TimeSpan.FromMinutes(2) }, ct);

        var info = await js.GetStreamAsync("EVENTS", ct);
        Assert.Equal(3, ensured.Config.Replicas);
        Assert.Equal(3, info.Config.Replicas);
        Assert.Equal(1 << 20, info.Config.MaxBytes);
        Assert.Equal(TimeSpan.FromDays(30), info.Config.MaxAge);
    }

    [Fact]
    public async Task Ensure_creates_a_missing_stream_as_given_and_brings_an_existing_ones_subjects_up_to_date()
    {
        var ct = Timeout(30);
        await using var server = await NatsServer.StartAsync();
        await using var nc = await ConnectAsync(server.Url, ct);
        var js = new NatsJSContext(nc);

        var created = await js.EnsureStreamAsync(new StreamConfig("WORK", "work.a") { Retention = RetentionPolicy.WorkQueue, DuplicateWindow = TimeSpan.FromMinutes(1) }, ct);
        var unchanged = await js.EnsureStreamAsync(new StreamConfig("WORK", "work.a") { Retention = RetentionPolicy.WorkQueue }, ct);
        var widened = await js.EnsureStreamAsync(new StreamConfig("WORK", "work.a", "work.b") { Retention = RetentionPolicy.WorkQueue }, ct);

        Assert.Equal(RetentionPolicy.WorkQueue, created.Config.Retention);
        Assert.Equal(TimeSpan.FromMinutes(1), created.Config.DuplicateWindow);
        Assert.Equal(["work.a"], unchanged.Config.Subjects!);
        Assert.Equal(TimeSpan.FromMinutes(1), unchanged.Config.DuplicateWindow); // not named: kept
        Assert.Equal(["work.a", "work.b"], (await js.GetStreamAsync("WORK", ct)).Config.Subjects!);
        Assert.Equal(created.Created, widened.Created);
    }
}
