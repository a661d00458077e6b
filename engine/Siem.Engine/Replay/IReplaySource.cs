using NodaTime;
using Siem.Core.Events;

namespace Siem.Engine.Replay;

/// <summary>Stored history a replay reads: how many events a range holds (for the progress bar) and the events in event-time order.</summary>
public interface IReplaySource
{
    Task<long> CountAsync(Instant? from, Instant? to, CancellationToken cancellationToken = default);

    IAsyncEnumerable<LogEvent> ReadAsync(Instant? from, Instant? to, CancellationToken cancellationToken = default);
}
