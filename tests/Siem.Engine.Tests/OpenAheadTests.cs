using Siem.Core.Events;
using Siem.Engine.Alerts;
using Siem.Engine.Index;
using Siem.Engine.Pipeline;
using Siem.Engine.Search;

namespace Siem.Engine.Tests;

/// <summary>
/// The opener stage verifies, decrypts and decodes ahead of the processing loop: bounded to about one group, stream
/// order kept, a revocation still refuses what was opened before it, and a stop releases what was opened but not processed.
/// </summary>
public sealed class OpenAheadTests
{
    // Every group is one message (a group is cut once it holds MaxGroupBytes), so the opener may hold one message ahead.
    private static EngineOptions OneMessageGroups(TimeSpan? drainTimeout = null) =>
        EngineOptions.Default with { MaxGroupBytes = 1, NakDelay = TimeSpan.FromMilliseconds(200), DrainTimeout = drainTimeout ?? EngineOptions.Default.DrainTimeout };

    [Fact]
    public async Task The_opener_stays_one_group_ahead_of_a_loop_stuck_in_an_index_write_and_every_batch_is_then_indexed_once_in_stream_order()
    {
        GatedSink? gate = null;
        await using var h = await PipelineHarness.StartAsync(inner => gate = new GatedSink(inner), options: _ => OneMessageGroups());
        await h.PublishAsync(h.Seal(1, PipelineHarness.Events("agent-1", 1, 5)));
        await gate!.Entered.Task.WaitAsync(h.Timeout.Token);
        for (ulong seq = 2; seq <= 10; seq++) await h.PublishAsync(h.Seal(seq, PipelineHarness.Events("agent-1", (int)seq, 5)));

        await h.WaitUntilAsync(() => Task.FromResult(h.Pipeline.Stats.MessagesReceived == 10), "all ten messages pulled");
        await h.WaitUntilAsync(() => Task.FromResult(h.Pipeline.Stats.MessagesOpened == 2), "the next message opened ahead");
        await Task.Delay(200, h.Timeout.Token); // room to open more than the byte budget allows, if it were not enforced
        Assert.Equal(2, h.Pipeline.Stats.MessagesOpened);

        gate.Open();
        await h.WaitUntilAsync(async () => await h.CountAsync() == 50, "50 events indexed");
        await h.WaitDrainedAsync();
        Assert.Equal(10, h.Pipeline.Stats.MessagesOpened);
        Assert.Equal(10, h.Pipeline.Stats.MessagesAcked);
        Assert.Equal(0, h.Pipeline.Stats.Redeliveries);
        var expected = Enumerable.Range(1, 10).SelectMany(b => Enumerable.Range(0, 5).Select(r => $"b{b}r{r}")).ToList();
        Assert.Equal(expected, gate.WrittenRecordIds());
    }

    [Fact]
    public async Task A_batch_opened_ahead_whose_agent_is_revoked_before_the_loop_reaches_it_is_quarantined_as_revoked()
    {
        GatedSink? gate = null;
        await using var h = await PipelineHarness.StartAsync(inner => gate = new GatedSink(inner), options: _ => OneMessageGroups());
        await h.PublishAsync(h.Seal(1, PipelineHarness.Events("agent-1", 1, 5)));
        await gate!.Entered.Task.WaitAsync(h.Timeout.Token);
        await h.PublishAsync(h.Seal(2, PipelineHarness.Events("agent-1", 2, 5)));
        await h.WaitUntilAsync(() => Task.FromResult(h.Pipeline.Stats.MessagesOpened == 2), "batch 2 opened while batch 1 is being written");

        Assert.True(h.Registry.Revoke("agent-1"));
        gate.Open();

        await h.WaitUntilAsync(async () => h.Pipeline.Stats.Quarantined == 1 && await h.CountAsync() == 5, "batch 1 indexed, batch 2 quarantined");
        await h.WaitDrainedAsync();
        Assert.Equal(1, h.Pipeline.Stats.QuarantinedByReason["revoked_agent"]);
        Assert.Equal(0, await h.CountAsync("source.ip:10.0.0.2"));
        var q = await h.Js.GetMsgAsync(EngineStreams.Quarantine, 1, h.Timeout.Token);
        Assert.Equal("siem.quarantine.revoked_agent", q.Subject);
        Assert.Equal("2", q.Headers!["Siem-Batch-Seq"]);
    }

    [Fact]
    public async Task Stopping_releases_the_messages_fetched_and_opened_ahead_for_redelivery_at_once()
    {
        GatedSink? gate = null;
        await using var h = await PipelineHarness.StartAsync(inner => gate = new GatedSink(inner), options: _ => OneMessageGroups(drainTimeout: TimeSpan.FromSeconds(1)));
        await h.PublishAsync(h.Seal(1, PipelineHarness.Events("agent-1", 1, 5)));
        await gate!.Entered.Task.WaitAsync(h.Timeout.Token);
        for (ulong seq = 2; seq <= 6; seq++) await h.PublishAsync(h.Seal(seq, PipelineHarness.Events("agent-1", (int)seq, 5)));
        await h.WaitUntilAsync(() => Task.FromResult(h.Pipeline.Stats.MessagesReceived == 6 && h.Pipeline.Stats.MessagesOpened == 2), "six pulled, two opened");

        // The write of batch 1 never finishes: it is abandoned after the drain timeout and comes back only after AckWait.
        await h.StopPipelineAsync();

        var consumer = await h.Js.GetConsumerAsync(EngineStreams.Events, EngineOptions.Default.Durable, h.Timeout.Token);
        var redelivered = new List<ulong>();
        await foreach (var msg in consumer.FetchAsync(5, expires: TimeSpan.FromSeconds(10), cancellationToken: h.Timeout.Token))
        {
            redelivered.Add(msg.Metadata.StreamSeq);
            await msg.AckAsync(h.Timeout.Token);
        }
        Assert.Equal([2UL, 3UL, 4UL, 5UL, 6UL], redelivered.Order());
        Assert.Equal(0, await h.CountAsync());
    }

    /// <summary>An index whose writes wait until the test opens the gate: the processing loop stays inside one group's write.</summary>
    private sealed class GatedSink(IIndexSink inner) : IIndexSink
    {
        private readonly TaskCompletionSource _gate = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly List<string> _written = [];

        public TaskCompletionSource Entered { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public void Open() => _gate.TrySetResult();

        public List<string> WrittenRecordIds()
        {
            lock (_written) return [.. _written];
        }

        public async Task WriteAsync(IReadOnlyList<LogEvent> events, IReadOnlyList<AlertDocument> alerts, CancellationToken cancellationToken = default)
        {
            Entered.TrySetResult();
            await _gate.Task.WaitAsync(cancellationToken);
            await inner.WriteAsync(events, alerts, cancellationToken);
            lock (_written) _written.AddRange(events.Select(e => e.RecordId));
        }

        public Task<IReadOnlyList<SearchHit>> SearchAsync(SearchRequest request, CancellationToken cancellationToken = default) => inner.SearchAsync(request, cancellationToken);
        public Task<long> CountAsync(SearchRequest request, CancellationToken cancellationToken = default) => inner.CountAsync(request, cancellationToken);
        public Task<int> DeleteAsync(IReadOnlyCollection<string> ids, CancellationToken cancellationToken = default) => inner.DeleteAsync(ids, cancellationToken);
        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
