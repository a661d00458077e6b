namespace Siem.Engine.Pipeline;

/// <summary>
/// Bytes held by the engine's buffer between the pull and the processor. Taking waits while the buffer holds bytes
/// and adding would pass the limit (backpressure into JetStream: nothing is dropped); an empty buffer always takes one
/// message, however large, so an oversized message cannot wedge the pull. One taker (the pull), one returner (the processor).
/// </summary>
internal sealed class ByteBudget(long limit) : IDisposable
{
    private readonly SemaphoreSlim _returned = new(0);
    private long _used;
    private long _waits;

    public long Used => Interlocked.Read(ref _used);

    /// <summary>Times the pull waited for the processor to free bytes.</summary>
    public long Waits => Interlocked.Read(ref _waits);

    public async ValueTask TakeAsync(long bytes, CancellationToken cancellationToken)
    {
        bool waited = false;
        while (Used > 0 && Used + bytes > limit)
        {
            if (!waited) Interlocked.Increment(ref _waits);
            waited = true;
            // A return between the check and the wait leaves the semaphore signalled, so the check runs again.
            await _returned.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        Interlocked.Add(ref _used, bytes);
    }

    public void Return(long bytes)
    {
        Interlocked.Add(ref _used, -bytes);
        if (_returned.CurrentCount == 0) _returned.Release();
    }

    public void Dispose() => _returned.Dispose();
}
