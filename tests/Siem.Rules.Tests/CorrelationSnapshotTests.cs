using NodaTime;
using Siem.Rules.Correlation;
using static Siem.Rules.Tests.CorrelationTestKit;

namespace Siem.Rules.Tests;

/// <summary>A restart restores open windows from a snapshot so counting continues.</summary>
public sealed class CorrelationSnapshotTests
{
    private const string FiveInTenMinutes = """
        title: five failed logins
        id: five
        correlation:
            type: value_count
            rules: [failed]
            group-by: [source.ip]
            timespan: 10m
            condition:
                field: user.name
                gte: 5
        """;

    private static CorrelationEngine NewEngine() => new(Yaml(FiveInTenMinutes).Correlations.Cast<CorrelationRule>());

    [Fact]
    public void Snapshot_then_restore_into_a_new_engine_continues_the_open_window()
    {
        var before = NewEngine();
        var output = new List<CorrelationAlert>();
        var early = Enumerable.Range(0, 3).Select(i => Ev(i * 60, ("source.ip", "203.0.113.7"), ("user.name", $"user{i}"))).ToList();
        foreach (var e in early)
        {
            before.OnMatch("failed", null, null, e, output);
        }
        before.OnMatch("failed", null, null, Ev(200, ("source.ip", "198.51.100.1"), ("user.name", "x")), output);
        var snapshot = before.Snapshot();

        var after = NewEngine();
        after.Restore(snapshot);
        after.OnMatch("failed", null, null, early[0], output); // redelivered after the restart: still a duplicate
        after.OnMatch("failed", null, null, Ev(240, ("source.ip", "203.0.113.7"), ("user.name", "user3")), output);
        after.OnMatch("failed", null, null, Ev(300, ("source.ip", "203.0.113.7"), ("user.name", "user4")), output);

        var alert = Assert.Single(output);
        Assert.Equal("203.0.113.7", alert.GroupBy["source.ip"]);
        Assert.Equal(5, alert.Value);
        Assert.Equal(T0, alert.First);
        Assert.Equal(early[1].RecordId, alert.RecordIds[1]);
        Assert.Equal("user1", alert.Events[1].Get("user.name"));
        Assert.Equal(1, after.StatsFor("five").Duplicates);
        Assert.Equal(6, after.StatsFor("five").Accepted);
        Assert.Equal(T0 + Duration.FromSeconds(300), after.Watermark);
        // 198.51.100.1 is still open; 203.0.113.7's window was consumed but its dedupe keys stay until they pass the lateness horizon.
        Assert.Equal(2, after.GroupCount("five"));
    }

    [Fact]
    public void Restore_rejects_a_snapshot_that_is_not_ours_with_a_clear_message()
    {
        var engine = NewEngine();

        var ex = Assert.Throws<InvalidDataException>(() => engine.Restore("{\"version\":99}"u8.ToArray()));

        Assert.Contains("version 99", ex.Message, StringComparison.Ordinal);
        Assert.Throws<InvalidDataException>(() => engine.Restore("not json"u8.ToArray()));
    }

    [Fact]
    public void Snapshot_survives_a_stream_round_trip_and_keeps_multi_valued_fields()
    {
        var engine = NewEngine();
        var output = new List<CorrelationAlert>();
        var e = Ev(0, ("source.ip", "203.0.113.7"), ("user.name", "a"));
        e.Add("tags", "x");
        e.Add("tags", "y");
        engine.OnMatch("failed", null, null, e, output);
        using var stream = new MemoryStream();
        engine.Snapshot(stream);
        stream.Position = 0;

        var restored = NewEngine();
        restored.Restore(stream);
        for (var i = 1; i < 5; i++)
        {
            restored.OnMatch("failed", null, null, Ev(i, ("source.ip", "203.0.113.7"), ("user.name", $"u{i}")), output);
        }

        var first = Assert.Single(output).Events[0];
        Assert.Equal(["x", "y"], (string[])first.Fields["tags"]);
        Assert.Equal(e.RecordId, first.RecordId);
    }
}
