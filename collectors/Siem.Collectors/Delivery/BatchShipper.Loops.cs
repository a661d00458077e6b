using Siem.Collectors.Spool;
using Siem.Nats;

namespace Siem.Collectors.Delivery;

internal sealed partial class BatchShipper
{
    private readonly record struct Pending(SpoolEntry Entry, Task Ack, long Generation);

    /// <summary>Publishes from the spool with a bounded window, completes acks in order, rewinds on failure.</summary>
    private async Task PumpLoopAsync()
    {
        var inFlight = new Queue<Pending>();
        var generation = 0L;
        string? lastError = null;
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                lock (_gate)
                {
                    if (generation != _generation)
                    {
                        // drop-oldest removed entries we may have read ahead: start again from the new head
                        inFlight.Clear();
                        _spool.RewindReads();
                        generation = _generation;
                    }
                }
                string? failure = null;
                while (inFlight.Count < _options.MaxInFlight && (inFlight.Count == 0 || BodyBytes(inFlight) < _options.MaxInFlightBytes))
                {
                    SpoolEntry? next;
                    lock (_gate) next = _spool.ReadNext();
                    if (next is null) break;
                    if (_read.CurrentCount == 0) _read.Release();
                    if (next.IsMarksOnly)
                    {
                        inFlight.Enqueue(new Pending(next, Task.CompletedTask, generation));
                        continue;
                    }
                    if (!_publisher.IsConnected)
                    {
                        _acking = false;
                        failure = "not connected";
                        lock (_gate) _spool.RewindReads();
                        break;
                    }
                    try
                    {
                        var ack = await _publisher.PublishAsync(next.Subject, next.Envelope, _stop.Token).ConfigureAwait(false);
                        inFlight.Enqueue(new Pending(next, ack, generation));
                    }
                    catch (NatsPayloadTooLargeException e)
                    {
                        inFlight.Enqueue(new Pending(next, Task.FromException(e), generation));
                    }
                    catch (NatsException e)
                    {
                        _acking = false;
                        failure = e.Message;
                        break;
                    }
                }
                if (inFlight.Count == 0)
                {
                    // Nothing to do until a new batch arrives, or (while disconnected) a retry is due.
                    await _wake.WaitAsync(failure is null ? Timeout.InfiniteTimeSpan : _options.RetryDelay, _stop.Token).ConfigureAwait(false);
                    continue;
                }
                var head = inFlight.Peek();
                try
                {
                    await head.Ack.WaitAsync(_stop.Token).ConfigureAwait(false);
                    lastError = null;
                    _acking = true;
                }
                catch (NatsPayloadTooLargeException e)
                {
                    // Re-sending can never succeed: count the records as lost and let the checkpoints move on.
                    _metrics.Dropped(1, head.Entry.RecordCount);
                    _metrics.Error();
                    _log($"batch {head.Entry.Envelope.BatchSeq} dropped: {e.Message}");
                    await CompleteHeadAsync(inFlight, acked: false).ConfigureAwait(false);
                    continue;
                }
                catch (OperationCanceledException) when (_stop.IsCancellationRequested)
                {
                    return;
                }
                catch (Exception e)
                {
                    _acking = false;
                    _metrics.Error();
                    if (lastError != e.Message) _log($"batch {head.Entry.Envelope.BatchSeq} not acknowledged ({e.GetType().Name}: {e.Message}); re-sending from the spool");
                    lastError = e.Message;
                    await RewindAsync(inFlight).ConfigureAwait(false);
                    continue;
                }
                await CompleteHeadAsync(inFlight, acked: true).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
        }
    }

    private static long BodyBytes(Queue<Pending> inFlight)
    {
        var bytes = 0L;
        foreach (var p in inFlight) bytes += p.Entry.Envelope.Body.Length;
        return bytes;
    }

    private async Task CompleteHeadAsync(Queue<Pending> inFlight, bool acked)
    {
        var head = inFlight.Dequeue();
        IReadOnlyList<CommitMark>? marks;
        lock (_gate) _marks.Remove(head.Entry.Envelope.BatchSeq, out marks);
        if (acked && !head.Entry.IsMarksOnly) _metrics.Acked(head.Entry.RecordCount);
        if (!head.Entry.IsMarksOnly) Interlocked.Exchange(ref _completedThrough, head.Entry.Envelope.BatchSeq);
        // Commit before advancing: a crash in between re-sends a batch (deduplicated), never loses a checkpoint.
        foreach (var mark in marks ?? [])
        {
            try
            {
                await mark.Source.CommitAsync(mark.UpTo, _stop.Token).ConfigureAwait(false);
                _metrics.Committed(mark.UpTo.SourceKey, mark.UpTo.NextOffset);
            }
            catch (OperationCanceledException) when (_stop.IsCancellationRequested)
            {
                throw;
            }
            catch (Exception e)
            {
                _metrics.Error();
                _log($"checkpoint of {mark.Source.Name} ({mark.UpTo.SourceKey}) at {mark.UpTo.NextOffset} failed: {e.Message}");
            }
        }
        lock (_gate)
        {
            // After a drop-oldest the entry may be gone; the loop rewinds to the new head.
            if (head.Generation == _generation) _spool.Advance(head.Entry);
        }
    }

    /// <summary>Lets the other in-flight acks settle (their outcome no longer matters), then re-reads from the oldest unacknowledged batch.</summary>
    private async Task RewindAsync(Queue<Pending> inFlight)
    {
        try
        {
            await Task.WhenAll(inFlight.Select(p => p.Ack)).WaitAsync(_options.AckTimeout + _options.AckTimeout, _stop.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException || !_stop.IsCancellationRequested)
        {
        }
        inFlight.Clear();
        lock (_gate) _spool.RewindReads();
        await Task.Delay(_options.RetryDelay, _stop.Token).ConfigureAwait(false);
    }
}
