namespace Siem.Collectors.Sources;

/// <summary>
/// A source of log lines. Pull-based: when the consumer stops reading, the source stops reading (backpressure),
/// so nothing has to be buffered or dropped between the source and delivery.
/// </summary>
public interface ILogSource : IAsyncDisposable
{
    /// <summary>A name for logs and metrics, e.g. "file:/var/log/*.log" or "syslog:udp:514".</summary>
    string Name { get; }

    /// <summary>Yields lines in order, resuming after the last committed checkpoint.</summary>
    IAsyncEnumerable<RawLine> ReadAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Lines up to and including <paramref name="upTo"/> are durably shipped (PubAck): persist the checkpoint atomically
    /// (write temp + fsync + rename). After a restart, reading resumes just after this line.
    /// </summary>
    ValueTask CommitAsync(RawLine upTo, CancellationToken cancellationToken = default);
}
