using Siem.Engine.Pipeline;

namespace Siem.Engine.Tests;

public sealed class BatchSequenceTrackerTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("siem-seq-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Redelivery_and_out_of_order_processing_are_not_replays_but_a_later_copy_is_and_the_mark_survives_a_restart()
    {
        using (var t = new BatchSequenceTracker(_dir))
        {
            var pending = new SequenceGroup();
            Assert.Equal(SequenceVerdict.New, t.Classify("a", 1, 10, pending));
            Assert.Equal(SequenceVerdict.New, t.Classify("a", 3, 12, pending));
            // batch 2 was stored before batch 3 (stream seq 11) but processed after it (nak'ed earlier)
            Assert.Equal(SequenceVerdict.Redelivery, t.Classify("a", 2, 11, pending));
            // the batch-3 message itself redelivered
            Assert.Equal(SequenceVerdict.Redelivery, t.Classify("a", 3, 12, pending));
            // batch 1 again, stored after batch 3: replay
            Assert.Equal(SequenceVerdict.Replay, t.Classify("a", 1, 13, pending));
            Assert.Equal(SequenceVerdict.New, t.Classify("b", 1, 14, pending));
            t.Commit(pending);
        }
        using (var t = new BatchSequenceTracker(_dir))
        {
            var pending = new SequenceGroup();
            Assert.Equal(SequenceVerdict.Replay, t.Classify("a", 3, 20, pending));
            Assert.Equal(SequenceVerdict.Redelivery, t.Classify("a", 3, 12, pending));
            Assert.Equal(SequenceVerdict.New, t.Classify("a", 4, 21, pending));
            Assert.Equal(SequenceVerdict.Replay, t.Classify("b", 1, 22, pending));
        }
    }

    [Fact]
    public void Staged_groups_count_at_once_but_reach_the_disk_only_with_the_flush()
    {
        using (var t = new BatchSequenceTracker(_dir))
        {
            var first = new SequenceGroup();
            Assert.Equal(SequenceVerdict.New, t.Classify("a", 1, 10, first));
            t.Stage(first);
            var second = new SequenceGroup();
            // Staged but not flushed: a copy from another stream message is a replay, the same message a redelivery.
            Assert.Equal(SequenceVerdict.Replay, t.Classify("a", 1, 11, second));
            Assert.Equal(SequenceVerdict.Redelivery, t.Classify("a", 1, 10, second));
            Assert.Equal(SequenceVerdict.New, t.Classify("a", 2, 12, second));
            t.Stage(second);
            Assert.Equal(2, t.StagedCount);
        }
        using (var t = new BatchSequenceTracker(_dir))
        {
            // Killed before the flush (so before any ack): both batches come back and are new.
            var again = new SequenceGroup();
            Assert.Equal(SequenceVerdict.New, t.Classify("a", 1, 10, again));
            Assert.Equal(SequenceVerdict.New, t.Classify("a", 2, 12, again));
            t.Stage(again);
            t.Flush();
            Assert.Equal(0, t.StagedCount);
        }
        using (var t = new BatchSequenceTracker(_dir))
        {
            var after = new SequenceGroup();
            Assert.Equal(SequenceVerdict.Replay, t.Classify("a", 1, 13, after));
            Assert.Equal(SequenceVerdict.Redelivery, t.Classify("a", 2, 12, after));
            Assert.Equal(SequenceVerdict.New, t.Classify("a", 3, 14, after));
        }
    }

    [Fact]
    public void Marks_of_a_group_that_was_not_committed_are_forgotten()
    {
        using var t = new BatchSequenceTracker(_dir);
        var failed = new SequenceGroup();
        Assert.Equal(SequenceVerdict.New, t.Classify("a", 5, 50, failed));
        // index write failed: no Commit; the redelivered message is new again
        Assert.Equal(SequenceVerdict.New, t.Classify("a", 5, 50, new SequenceGroup()));
    }

    [Fact]
    public void A_lower_batch_the_broker_stored_after_a_higher_one_is_new_once_and_a_replay_the_second_time()
    {
        using (var t = new BatchSequenceTracker(_dir))
        {
            var group = new SequenceGroup();
            Assert.Equal(SequenceVerdict.New, t.Classify("a", 1, 10, group));
            // batch 2 failed at the broker while batch 3 was stored; the agent retried 2 afterwards
            Assert.Equal(SequenceVerdict.New, t.Classify("a", 3, 11, group));
            Assert.Equal(SequenceVerdict.New, t.Classify("a", 2, 12, group));
            t.Commit(group);
        }
        using (var t = new BatchSequenceTracker(_dir))
        {
            var group = new SequenceGroup();
            Assert.Equal(SequenceVerdict.Redelivery, t.Classify("a", 2, 12, group));
            Assert.Equal(SequenceVerdict.Replay, t.Classify("a", 2, 13, group));
        }
    }

    [Fact]
    public void A_batch_older_than_the_window_stored_after_the_mark_is_a_replay()
    {
        using var t = new BatchSequenceTracker(_dir);
        var group = new SequenceGroup();
        ulong high = BatchSequenceTracker.ReplayWindow + 50;
        Assert.Equal(SequenceVerdict.New, t.Classify("a", high, 100, group));
        t.Commit(group);

        var next = new SequenceGroup();
        Assert.Equal(SequenceVerdict.Replay, t.Classify("a", 50, 101, next));
        Assert.Equal(SequenceVerdict.New, t.Classify("a", 51, 102, next));
    }
}
