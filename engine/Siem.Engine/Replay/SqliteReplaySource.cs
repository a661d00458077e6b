using System.Runtime.CompilerServices;
using NodaTime;
using Siem.Core.Events;
using Siem.Engine.Index;

namespace Siem.Engine.Replay;

/// <summary>History from the SQLite index's day partitions (<see cref="StoredEventReader"/>).</summary>
public sealed class SqliteReplaySource(SqliteIndexSink index) : IReplaySource
{
    private readonly SqliteIndexSink _index = index ?? throw new ArgumentNullException(nameof(index));

    public Task<long> CountAsync(Instant? from, Instant? to, CancellationToken cancellationToken = default) =>
        Task.FromResult(StoredEventReader.Count(_index.DatabasePath, from, to));

    public async IAsyncEnumerable<LogEvent> ReadAsync(Instant? from, Instant? to, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await Task.CompletedTask.ConfigureAwait(false);
        foreach (var e in StoredEventReader.Read(_index.DatabasePath, from, to))
        {
            cancellationToken.ThrowIfCancellationRequested();
            yield return e;
        }
    }
}
