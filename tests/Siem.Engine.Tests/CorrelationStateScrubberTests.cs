using NodaTime;
using Siem.Engine.Alerts;
using Siem.Engine.Detection;
using Siem.Engine.Purge;
using Siem.Lineage.Purge;

namespace Siem.Engine.Tests;

/// <summary>The open (suppressed) alerts a purge makes an engine forget, and snapshot formats it must not pass over.</summary>
public sealed class CorrelationStateScrubberTests
{
    private static readonly Instant T0 = Instant.FromUtc(2026, 11, 22, 3, 0);

    private static DetectionHit Hit(string record, string ip) => new()
    {
        RuleId = "ssh-failed", Title = "SSH failed password", Level = "medium",
        GroupBy = new Dictionary<string, string> { ["source.ip"] = ip }, RecordIds = [record], First = T0, Last = T0,
    };

    [Fact]
    public void Open_alerts_that_folded_a_purged_record_hold_the_value_or_were_redacted_are_dropped_and_the_others_stay()
    {
        var s = new AlertSuppressor(Duration.FromMinutes(15));
        var alice = s.Fold(Hit("r1", "10.0.0.5"), out _)!;
        s.Fold(Hit("r2", "10.0.0.5"), out _);
        s.Fold(Hit("r3", "10.0.0.9"), out _);
        var carol = s.Fold(Hit("r4", "10.0.0.77"), out _)!;
        var snapshot = s.Snapshot();

        // By record id (what a running engine learns): only the alert that folded r2 goes.
        var byId = new SubjectForgetting { JobId = "p1", RecordIds = new HashSet<string>(["r2"]) };
        var clean = CorrelationStateScrubber.ScrubSuppression(snapshot, byId, out var removed);
        Assert.Equal(1, removed.Alerts);
        var restored = new AlertSuppressor(Duration.FromMinutes(15));
        restored.Restore(clean!);
        Assert.Equal(2, restored.OpenCount);
        // A later hit of the purged group opens a new alert instead of folding into (and re-indexing) the old one.
        Assert.NotEqual(alice.AlertId, restored.Fold(Hit("r5", "10.0.0.5"), out bool isNew)!.AlertId);
        Assert.True(isNew);

        // By value (the purge process) and by alert id: the 10.0.0.5 alert and the redacted one go, 10.0.0.9 stays.
        var byValue = new SubjectForgetting { JobId = "p1", RecordIds = new HashSet<string>(), AlertIds = new HashSet<string>([carol.AlertId]), Value = new SubjectValueMatcher("10.0.0.5") };
        Assert.NotNull(CorrelationStateScrubber.ScrubSuppression(snapshot, byValue, out removed));
        Assert.Equal(2, removed.Alerts);
        Assert.Null(CorrelationStateScrubber.ScrubSuppression(clean!, new SubjectForgetting { JobId = "p2", RecordIds = new HashSet<string>(["r9"]) }, out _));
    }

    [Fact]
    public void Open_windows_forget_the_subjects_matches_and_drop_a_window_left_empty_and_others_keep_counting()
    {
        var set = Siem.Rules.RuleLoader.Load([Path.Combine(ScaleOut.ScaleOutFixture.RepoRoot, "rules", "packs", "linux", "mr_ssh_brute_force.yml")]);
        var rules = set.Correlations.Cast<Siem.Rules.Correlation.CorrelationRule>().ToList();
        var engine = new Siem.Rules.Correlation.CorrelationEngine(rules);
        var fired = new List<Siem.Rules.Correlation.CorrelationAlert>();
        void Match(string id, string ip, int second) => engine.Apply(new Siem.Rules.Correlation.CorrelationContribution
        {
            RuleKey = rules[0].Key, RuleIndex = 0, Time = T0 + Duration.FromSeconds(second), RecordId = id, GroupValues = [ip], RecordIds = [id],
            Events = [new Siem.Core.Events.LogEvent { RecordId = id, Timestamp = T0 + Duration.FromSeconds(second), Original = $"Failed password from {ip}" }],
        }, fired);
        for (int i = 0; i < 4; i++) Match($"a{i}", "10.0.0.5", i);
        for (int i = 0; i < 6; i++) Match($"b{i}", "10.0.0.9", 10 + i);

        var forget = new SubjectForgetting { JobId = "p1", RecordIds = new HashSet<string>(["a0", "a1", "a2", "a3"]) };
        var clean = CorrelationStateScrubber.ScrubCorrelation(engine.Snapshot(), forget, out var removed);
        Assert.Equal(new CorrelationStateScrubber.Removed(4, 1, 0), removed);
        Assert.DoesNotContain("10.0.0.5", System.Text.Encoding.UTF8.GetString(clean!), StringComparison.Ordinal);
        engine.Restore(clean!);
        // The other window still holds its six: four more make ten.
        for (int i = 0; i < 4; i++) Match($"c{i}", "10.0.0.9", 20 + i);
        var alert = Assert.Single(fired);
        Assert.Equal(10, alert.RecordIds.Count);
        Assert.All(alert.RecordIds, id => Assert.DoesNotContain(id, forget.RecordIds));
    }

    [Fact]
    public void A_snapshot_of_an_unknown_version_is_an_error_not_passed_over()
    {
        var forget = new SubjectForgetting { JobId = "p1", RecordIds = new HashSet<string>(["r1"]) };
        var ex = Assert.Throws<InvalidDataException>(() => CorrelationStateScrubber.ScrubCorrelation("{\"version\":3,\"rules\":[]}"u8.ToArray(), forget, out _));
        Assert.Contains("correlation snapshot version 3", ex.Message, StringComparison.Ordinal);
        Assert.Throws<InvalidDataException>(() => CorrelationStateScrubber.ScrubSuppression("not json"u8.ToArray(), forget, out _));
    }
}
