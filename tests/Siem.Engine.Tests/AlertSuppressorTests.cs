using NodaTime;
using Siem.Engine.Alerts;
using Siem.Engine.Detection;

namespace Siem.Engine.Tests;

public sealed class AlertSuppressorTests
{
    private static readonly Instant T0 = Instant.FromUtc(2026, 11, 22, 3, 0);

    private static DetectionHit Hit(string record, int minute, string ip = "10.0.0.5") => new()
    {
        RuleId = "ssh-failed", Title = "SSH failed password", Level = "medium", Tags = ["attack.t1110"],
        GroupBy = new Dictionary<string, string> { ["source.ip"] = ip },
        RecordIds = [record], First = T0 + Duration.FromMinutes(minute), Last = T0 + Duration.FromMinutes(minute),
    };

    [Fact]
    public void Repeats_within_the_window_fold_into_the_open_alert_and_a_redelivered_record_is_not_counted_twice()
    {
        var s = new AlertSuppressor(Duration.FromMinutes(15));
        var a1 = s.Fold(Hit("r1", 0), out bool new1)!;
        var a2 = s.Fold(Hit("r2", 5), out bool new2)!;
        var again = s.Fold(Hit("r2", 5), out _);
        var other = s.Fold(Hit("r3", 6, ip: "10.0.0.9"), out bool newOther)!;
        var later = s.Fold(Hit("r4", 16), out bool newLater)!;

        Assert.True(new1);
        Assert.False(new2);
        Assert.Equal(a1.AlertId, a2.AlertId);
        Assert.Equal(2, a2.Count);
        Assert.Equal(["r1", "r2"], a2.RecordIds);
        Assert.Equal(T0, a2.FirstSeen);
        Assert.Equal(T0 + Duration.FromMinutes(5), a2.LastSeen);
        Assert.Null(again);
        Assert.True(newOther);
        Assert.NotEqual(a1.AlertId, other.AlertId);
        Assert.True(newLater);                      // window (15 min from first seen) passed
        Assert.NotEqual(a1.AlertId, later.AlertId);
    }

    [Fact]
    public void The_alert_id_is_the_same_when_the_same_records_are_processed_again_after_a_restart()
    {
        var first = new AlertSuppressor(Duration.FromMinutes(15)).Fold(Hit("r1", 0), out _)!;
        var second = new AlertSuppressor(Duration.FromMinutes(15)).Fold(Hit("r1", 0), out _)!;
        Assert.Equal(first.AlertId, second.AlertId);
        Assert.Equal(26, first.AlertId.Length);
    }

    [Fact]
    public void A_busy_alert_remembers_its_most_recent_record_ids_keeps_its_first_ids_in_the_document_and_survives_a_snapshot()
    {
        var s = new AlertSuppressor(Duration.FromMinutes(15));
        int total = AlertSuppressor.MaxTrackedRecords + 5;
        AlertDocument? last = null;
        for (int i = 0; i < total; i++) last = s.Fold(Hit($"r{i}", 1), out _);

        Assert.Equal(total, last!.Count);
        Assert.Equal(Enumerable.Range(0, AlertSuppressor.MaxRecordIds).Select(i => $"r{i}"), last.RecordIds);
        var restored = new AlertSuppressor(Duration.FromMinutes(15));
        restored.Restore(s.Snapshot());
        foreach (var suppressor in new[] { s, restored })
        {
            // A redelivery of a recent record is recognised; one older than the remembered ids would count again.
            Assert.Null(suppressor.Fold(Hit($"r{total - 1}", 1), out _));
            Assert.Null(suppressor.Fold(Hit("r5", 1), out _));
            Assert.Equal(total + 1, suppressor.Fold(Hit("r4", 1), out _)!.Count);
        }
    }

    [Fact]
    public void Forget_closes_the_open_alerts_of_purged_records_or_alert_ids_and_keeps_the_others()
    {
        var s = new AlertSuppressor(Duration.FromMinutes(15));
        var byRecord = s.Fold(Hit("r1", 0), out _)!;
        s.Fold(Hit("r2", 1), out _);
        var byId = s.Fold(Hit("r3", 0, ip: "10.0.0.9"), out _)!;
        var kept = s.Fold(Hit("r4", 0, ip: "10.0.0.7"), out _)!;
        long version = s.Version;

        int closed = s.Forget(new HashSet<string> { "r2" }, new HashSet<string> { byId.AlertId });

        Assert.Equal(2, closed);
        Assert.Equal(1, s.OpenCount);
        Assert.True(s.Version > version);
        // Later matches open new alerts instead of folding into what the purge removed; the other alert still folds.
        Assert.NotEqual(byRecord.AlertId, s.Fold(Hit("r5", 2), out bool isNew)!.AlertId);
        Assert.True(isNew);
        Assert.Equal(kept.AlertId, s.Fold(Hit("r6", 2, ip: "10.0.0.7"), out _)!.AlertId);
        Assert.Equal(0, s.Forget(new HashSet<string> { "none" }, new HashSet<string>()));
    }
}
