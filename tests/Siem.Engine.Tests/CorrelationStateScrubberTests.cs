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
    public void A_snapshot_of_an_unknown_version_is_an_error_not_passed_over()
    {
        var forget = new SubjectForgetting { JobId = "p1", RecordIds = new HashSet<string>(["r1"]) };
        var ex = Assert.Throws<InvalidDataException>(() => CorrelationStateScrubber.ScrubCorrelation("{\"version\":3,\"rules\":[]}"u8.ToArray(), forget, out _));
        Assert.Contains("correlation snapshot version 3", ex.Message, StringComparison.Ordinal);
        Assert.Throws<InvalidDataException>(() => CorrelationStateScrubber.ScrubSuppression("not json"u8.ToArray(), forget, out _));
    }
}
