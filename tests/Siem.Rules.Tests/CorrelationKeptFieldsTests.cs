using NodaTime;
using Siem.Core.Events;
using Siem.Rules.Correlation;
using static Siem.Rules.Tests.CorrelationTestKit;

namespace Siem.Rules.Tests;

/// <summary>Open windows keep only the event fields alerts show and chained correlations read; snapshots stay readable across versions.</summary>
public sealed class CorrelationKeptFieldsTests
{
    private const string Chain = """
        title: burst on one workstation
        id: burst
        correlation:
            type: event_count
            rules: [two_failures]
            group-by: [User, Workstation]
            timespan: 10m
            condition:
                gte: 1
        ---
        title: two failures
        id: two
        name: two_failures
        correlation:
            type: event_count
            rules: [failed]
            group-by: [User]
            timespan: 10m
            condition:
                gte: 2
        """;

    private static readonly CorrelationOptions KeepHostOnly = CorrelationOptions.Default with { KeptEventFields = ["host.name"] };

    private static LogEvent Failure(double seconds, string user) =>
        WithOriginal(Ev(seconds, ("User", user), ("Workstation", "ws1"), ("host.name", "dc-01"), ("Secret", "hunter2")), $"4625 {user} hunter2");

    private static LogEvent WithOriginal(LogEvent e, string original)
    {
        var copy = new LogEvent { RecordId = e.RecordId, AgentId = "agent-1", Timestamp = e.Timestamp, Original = original };
        foreach (var (k, v) in e.Fields) copy.Fields[k] = v;
        return copy;
    }

    [Fact]
    public void Windows_keep_the_configured_fields_plus_those_a_chained_parent_reads_and_drop_the_original_line()
    {
        var engine = new CorrelationEngine(Yaml(Chain).Correlations.Cast<CorrelationRule>(), KeepHostOnly);
        var output = new List<CorrelationAlert>();
        engine.OnMatch("failed", null, null, Failure(0, "alice"), output);
        engine.OnMatch("failed", null, null, Failure(5, "alice"), output);

        var alert = Assert.Single(output);
        Assert.Equal("burst", alert.Rule.Key);
        Assert.Equal("ws1", alert.GroupBy["Workstation"]); // read from the child alert's first event
        Assert.Equal(2, alert.RecordIds.Count);
        var kept = alert.Events[0];
        Assert.Equal(["User", "Workstation", "host.name"], kept.Fields.Keys.Order(StringComparer.Ordinal));
        Assert.Equal("", kept.Original);
        Assert.Equal("agent-1", kept.AgentId);
    }

    [Fact]
    public void Without_kept_fields_windows_hold_the_events_themselves()
    {
        var engine = new CorrelationEngine(Yaml(Chain).Correlations.Cast<CorrelationRule>());
        var output = new List<CorrelationAlert>();
        var first = Failure(0, "bob");
        engine.OnMatch("failed", null, null, first, output);
        engine.OnMatch("failed", null, null, Failure(5, "bob"), output);

        Assert.Same(first, Assert.Single(output).Events[0]);
    }

    [Fact]
    public void A_version_1_snapshot_with_whole_events_still_restores_cut_to_the_kept_fields()
    {
        // Written by the previous engine: matches as objects, whole events with the original line.
        const string v1 = """
            {"version":1,"watermark":17356896000000000,"lastSweep":17356896000000000,"rules":[
              {"key":"two","alertSequence":0,"stats":[1,0,0,0,0,0],"groups":[
                {"values":["carol"],
                 "entries":[{"t":17356896000000000,"id":"old-1","rule":0,"key":null,"number":null,"recordIds":["old-1"],
                   "events":[{"recordId":"old-1","agentId":"agent-1","t":17356896000000000,"original":"4625 carol hunter2",
                     "fields":{"User":"carol","Workstation":"ws1","host.name":"dc-01","Secret":"hunter2"}}]}],
                 "seen":[["old-1",-1,17356896000000000]]}]},
              {"key":"burst","alertSequence":0,"stats":[0,0,0,0,0,0],"groups":[]}]}
            """;
        var engine = new CorrelationEngine(Yaml(Chain).Correlations.Cast<CorrelationRule>(), KeepHostOnly);
        engine.Restore(System.Text.Encoding.UTF8.GetBytes(v1));
        var output = new List<CorrelationAlert>();
        engine.OnMatch("failed", null, null, Failure(10, "carol"), output);

        var alert = Assert.Single(output);
        Assert.Equal("old-1", alert.RecordIds[0]);
        Assert.Equal("", alert.Events[0].Original);
        Assert.False(alert.Events[0].Fields.ContainsKey("Secret"));
        Assert.Equal("dc-01", alert.Events[0].Get("host.name"));
        // The new snapshot is version 2 and no longer holds the dropped field.
        var written = System.Text.Encoding.UTF8.GetString(engine.Snapshot());
        Assert.StartsWith("{\"version\":2,", written, StringComparison.Ordinal);
        Assert.DoesNotContain("hunter2", written, StringComparison.Ordinal);
    }

    [Fact]
    public void A_capture_is_the_state_when_it_was_taken_even_if_matches_follow_before_it_is_written()
    {
        var engine = new CorrelationEngine(Yaml(Chain).Correlations.Cast<CorrelationRule>(), KeepHostOnly);
        var output = new List<CorrelationAlert>();
        engine.OnMatch("failed", null, null, Failure(0, "dave"), output);
        var capture = engine.Capture();
        engine.OnMatch("failed", null, null, Failure(5, "erin"), output);
        engine.OnMatch("failed", null, null, Failure(6, "dave"), output); // fires and consumes dave's window
        Assert.Single(output);

        using var stream = new MemoryStream();
        capture.WriteTo(stream);
        Assert.Equal(1, capture.EntryCount);
        var restored = new CorrelationEngine(Yaml(Chain).Correlations.Cast<CorrelationRule>(), KeepHostOnly);
        restored.Restore(stream.ToArray());
        Assert.Equal(1, restored.GroupCount("two"));
        Assert.Equal(T0, restored.Watermark);
        var again = new List<CorrelationAlert>();
        restored.OnMatch("failed", null, null, Failure(6, "dave"), again);
        Assert.Equal(2, Assert.Single(again).RecordIds.Count);
    }

    [Fact]
    public void A_snapshot_of_the_right_version_but_the_wrong_shape_is_refused_and_leaves_the_engine_empty()
    {
        var engine = new CorrelationEngine(Yaml(Chain).Correlations.Cast<CorrelationRule>(), KeepHostOnly);
        var output = new List<CorrelationAlert>();
        engine.OnMatch("failed", null, null, Failure(0, "frank"), output);

        var ex = Assert.Throws<InvalidDataException>(() => engine.Restore(
            "{\"version\":2,\"watermark\":null,\"lastSweep\":null,\"rules\":[{\"key\":\"two\",\"alertSequence\":0,\"stats\":[0,0,0,0,0,0],\"groups\":[{\"values\":[\"x\"],\"entries\":[[\"not a time\"]],\"seen\":[]}]}]}"u8.ToArray()));

        Assert.Contains("malformed", ex.Message, StringComparison.Ordinal);
        Assert.Equal(0, engine.GroupCount("two"));
    }

    [Fact]
    public void Forget_removes_a_subjects_matches_by_record_id_or_by_a_kept_value_and_the_windows_count_without_them()
    {
        var engine = new CorrelationEngine(Yaml(Chain).Correlations.Cast<CorrelationRule>(), KeepHostOnly);
        var output = new List<CorrelationAlert>();
        var gina = Failure(0, "gina");
        engine.OnMatch("failed", null, null, gina, output);
        engine.OnMatch("failed", null, null, Failure(1, "hank"), output);
        var ivan = Failure(2, "ivan");
        engine.OnMatch("failed", null, null, ivan, output);

        // gina by her user name (a group-by value: her whole group goes), ivan's match by its record id.
        var removed = engine.Forget(new HashSet<string> { ivan.RecordId }, new HashSet<string> { "gina" });

        Assert.Equal(2, removed);
        Assert.Equal(1, engine.GroupCount("two")); // hank's
        Assert.DoesNotContain("gina", System.Text.Encoding.UTF8.GetString(engine.Snapshot()), StringComparison.Ordinal);
        engine.OnMatch("failed", null, null, Failure(3, "gina"), output);
        Assert.Empty(output); // gina starts over: one match, not two
        engine.OnMatch("failed", null, null, Failure(4, "hank"), output);
        Assert.Equal("hank", Assert.Single(output).GroupBy["User"]);
    }
}
