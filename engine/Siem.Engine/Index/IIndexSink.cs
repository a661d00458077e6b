using Siem.Core.Events;
using Siem.Engine.Alerts;
using Siem.Engine.Search;

namespace Siem.Engine.Index;

/// <summary>
/// Where events and alerts are stored and searched. Writes are idempotent by id (record id for events,
/// alert id for alerts: a repeated alert id replaces the stored alert), so a redelivered batch never
/// duplicates anything. The pipeline acks a JetStream message only after <see cref="WriteAsync"/> returned.
/// </summary>
public interface IIndexSink : IAsyncDisposable
{
    /// <summary>Writes a batch durably; returns only when every event and alert is confirmed stored, throws otherwise.</summary>
    Task WriteAsync(IReadOnlyList<LogEvent> events, IReadOnlyList<AlertDocument> alerts, CancellationToken cancellationToken = default);

    /// <summary>Events and alerts matching the query, newest first.</summary>
    Task<IReadOnlyList<SearchHit>> SearchAsync(SearchRequest request, CancellationToken cancellationToken = default);

    Task<long> CountAsync(SearchRequest request, CancellationToken cancellationToken = default);

    /// <summary>Deletes events whose record id, and alerts whose alert id, is in <paramref name="ids"/>; returns how many were deleted.</summary>
    Task<int> DeleteAsync(IReadOnlyCollection<string> ids, CancellationToken cancellationToken = default);
}
