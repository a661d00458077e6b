using NodaTime;
using Siem.Engine.ScaleOut;
using Siem.Engine.Tests.Certs;
using Siem.Nats;
using Siem.Nats.JetStream;
using Siem.Rules.Correlation;

namespace Siem.Engine.Tests.ScaleOut;

/// <summary>The accounts config `siem certs init` generates carries the partition mapping and lets the engine route correlation matches.</summary>
public sealed class SecuredScaleOutTests(SecuredNats nats) : IClassFixture<SecuredNats>
{
    [Fact]
    public async Task On_the_generated_account_the_engine_passes_the_mapping_check_and_a_match_lands_on_its_partition()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(25));
        await using var engine = new NatsConnection(nats.EngineOpts());
        await SecuredNats.ConnectAsync(engine, timeout.Token);
        var js = new NatsJSContext(engine);
        var dir = Directory.CreateTempSubdirectory("siem-secured-scaleout-").FullName;
        try
        {
            await using var index = Siem.Engine.Index.SqliteIndexSink.Open(dir);
            var router = new CorrelationRouter(js, ScaleOutOptions.Default.Partitions, serverMapping: true);
            await using var partitions = await CorrelationPartitions.StartAsync(js, [], router, index,
                ScaleOutOptions.Default with { EngineId = "secured-engine" }, Duration.FromMinutes(15), cancellationToken: timeout.Token);

            var match = new CorrelationContribution
            {
                RuleKey = "brute", RuleIndex = 0, Time = Instant.FromUtc(2026, 11, 22, 10, 0), RecordId = "r1", GroupValues = ["203.0.113.5"], RecordIds = ["r1"], Events = [],
            };
            await router.PublishAsync([match], timeout.Token);

            string token = CorrelationSubjects.Token(match.GroupKey);
            int expected = CorrelationSubjects.PartitionOf(token, ScaleOutOptions.Default.Partitions);
            var stored = await js.GetLastMsgForSubjectAsync(CorrelationSubjects.Stream, CorrelationSubjects.Partition(expected, "c", token), timeout.Token);
            Assert.NotNull(stored);
            Assert.Equal("r1", ContributionJson.Deserialize(stored.Data.Span).RecordId);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
