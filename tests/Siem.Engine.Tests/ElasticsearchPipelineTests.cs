using Siem.Engine.Index.Elasticsearch;
using Siem.Engine.Pipeline;

namespace Siem.Engine.Tests;

public sealed class ElasticsearchPipelineTests
{
    [Fact]
    public async Task While_the_cluster_answers_429_the_pipeline_holds_the_message_unacked_and_acks_it_once_the_bulk_is_written()
    {
        using var open = new ManualResetEventSlim(false);
        using var peer = new ElasticsearchPeer((r, _) => r.Path != "/_bulk" ? (200, "{\"acknowledged\":true}")
            : open.IsSet ? (200, ElasticsearchPeer.BulkAnswer(r.Body, _ => 201))
            : (429, "{\"error\":{\"type\":\"es_rejected_execution_exception\",\"reason\":\"rejected\"},\"status\":429}"));
        ElasticsearchIndexSink? es = null;
        await using var h = await PipelineHarness.StartAsync(_ => es = new ElasticsearchIndexSink(new ElasticsearchOptions
        {
            Url = peer.Url, BaseDelay = TimeSpan.FromMilliseconds(10), MaxDelay = TimeSpan.FromMilliseconds(50),
        }));

        await h.PublishAsync(h.Seal(1, PipelineHarness.Events("agent-1", 1, 10)));
        await h.WaitUntilAsync(() => Task.FromResult(peer.On("/_bulk").Count() >= 3), "three refused bulk requests");

        // Backpressure: nothing acked while the cluster refuses, so JetStream still holds the batch.
        Assert.Equal(1UL, (await h.Js.GetStreamAsync(EngineStreams.Events)).State.Messages);
        Assert.Equal(0, h.Pipeline.Stats.MessagesAcked);
        open.Set();
        await h.WaitDrainedAsync();

        Assert.Equal(0UL, (await h.Js.GetStreamAsync(EngineStreams.Events)).State.Messages);
        var last = peer.On("/_bulk").Last().Body.TrimEnd('\n').Split('\n');
        Assert.Equal(Enumerable.Range(0, 10).Select(i => $"{{\"index\":{{\"_index\":\"siem-events-2026.11.22\",\"_id\":\"b1r{i}\"}}}}"), last.Where((_, i) => i % 2 == 0));
        Assert.Equal(10, es!.Written);
        Assert.True(es.Retries >= 3);
    }
}
