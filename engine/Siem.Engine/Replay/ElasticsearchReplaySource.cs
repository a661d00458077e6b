using NodaTime;
using Siem.Core.Events;
using Siem.Engine.Index.Elasticsearch;

namespace Siem.Engine.Replay;

/// <summary>History from Elasticsearch/OpenSearch: the event indices in event-time order through <c>search_after</c>.</summary>
public sealed class ElasticsearchReplaySource(ElasticsearchIndexSink index, int pageSize = 1000) : IReplaySource
{
    private readonly ElasticsearchIndexSink _index = index ?? throw new ArgumentNullException(nameof(index));

    public Task<long> CountAsync(Instant? from, Instant? to, CancellationToken cancellationToken = default) =>
        _index.CountEventsAsync(from, to, cancellationToken);

    public IAsyncEnumerable<LogEvent> ReadAsync(Instant? from, Instant? to, CancellationToken cancellationToken = default) =>
        _index.ReadEventsInTimeOrderAsync(from, to, pageSize, cancellationToken);
}
