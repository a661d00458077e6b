using Siem.Collectors.Spool;
using Siem.Nats;

namespace Siem.Collectors.Delivery;

internal sealed partial class BatchShipper
{
    private long _spoolGeneration;

    /// <summary>Completes batches strictly in order: acked → commit; failed or routed to the spool → append (fsync) → commit.</summary>
    private async Task CompleteLoopAsync()
    {
        try
        {
            while (await _fifo.Reader.WaitToReadAsync(_stop.Token).ConfigureAwait(false))
            {
                while (_fifo.Reader.TryRead(out var item)) await CompleteAsync(item).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
        }
    }

    private async Task CompleteAsync(InFlight item)
    {
        var batch = item.Batch;
        if (item.Ack != null)
        {
            try
            {
                await item.Ack.WaitAsync(_stop.Token).ConfigureAwait(false);
                _metrics.Acked(batch.RecordCount);
                await CommitAsync(batch).ConfigureAwait(false);
                return;
            }
            catch (NatsPayloadTooLargeException)
            {
                _metrics.Dropped(1, batch.RecordCount);
                await CommitAsync(batch).ConfigureAwait(false);
                return;
            }
            catch (OperationCanceledException) when (_stop.IsCancellationRequested)
            {
                throw;
            }
            catch (Exception e)
            {
                // Unknown outcome (timeout, disconnect, API error): the spool keeps it; if JetStream did store it,
                // the re-send carries the same Nats-Msg-Id and is dropped as a duplicate.
                _metrics.Error();
                _log($"batch {batch.Envelope.BatchSeq} not acknowledged ({e.GetType().Name}: {e.Message}); spooling");
            }
        }
        var kept = await AppendToSpoolAsync(batch).ConfigureAwait(false);
        lock (_gate)
        {
            if (item.RoutedToSpool) _pendingSpoolAppends--;
            _spooling = true;
        }
        _drainSignal.Release();
        if (kept) _metrics.Spooled();
        await CommitAsync(batch).ConfigureAwait(false);
    }

    /// <summary>Appends under the full policy; false when the batch itself was dropped (bigger than the whole spool).</summary>
    private async Task<bool> AppendToSpoolAsync(OutgoingBatch batch)
    {
        var entry = new SpoolEntry(batch.Subject, batch.RecordCount, batch.Envelope);
        var waitingLogged = false;
        while (true)
        {
            bool empty;
            lock (_gate)
            {
                if (_spool.TryAppend(entry)) return true;
                empty = _spool.IsEmpty;
                if (!empty && _spoolOptions.FullPolicy == SpoolFullPolicy.DropOldest)
                {
                    var (batches, records) = _spool.DropOldest();
                    _spoolGeneration++;
                    _metrics.Dropped(batches, records);
                    _log($"spool full: dropped the oldest {batches} batches ({records} records)");
                    continue;
                }
            }
            if (empty)
            {
                _metrics.Dropped(1, batch.RecordCount);
                _metrics.Error();
                _log($"batch {batch.Envelope.BatchSeq} ({batch.Envelope.Body.Length} bytes) is larger than the whole spool; dropped");
                return false;
            }
            if (!waitingLogged)
            {
                _log("spool full: pausing sources until the broker takes batches again");
                waitingLogged = true;
            }
            await Task.Delay(50, _stop.Token).ConfigureAwait(false);
        }
    }

    private async Task CommitAsync(OutgoingBatch batch)
    {
        foreach (var mark in batch.Marks)
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
    }

    /// <summary>Publishes spooled batches oldest first, one at a time, each only after the previous was acknowledged.</summary>
    private async Task DrainLoopAsync()
    {
        try
        {
            while (true)
            {
                await _drainSignal.WaitAsync(_stop.Token).ConfigureAwait(false);
                await DrainAsync().ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
        }
    }

    private async Task DrainAsync()
    {
        string? lastError = null;
        while (true)
        {
            SpoolEntry? entry;
            long generation;
            lock (_gate)
            {
                entry = _spool.Peek();
                generation = _spoolGeneration;
                if (entry == null)
                {
                    if (_pendingSpoolAppends == 0) _spooling = false;
                    return;
                }
            }
            if (!_publisher.IsConnected)
            {
                await Task.Delay(_options.RetryDelay, _stop.Token).ConfigureAwait(false);
                continue;
            }
            try
            {
                var ack = await _publisher.PublishAsync(entry.Subject, entry.Envelope, _stop.Token).ConfigureAwait(false);
                await ack.WaitAsync(_stop.Token).ConfigureAwait(false);
                _metrics.Acked(entry.RecordCount);
                _metrics.Drained();
            }
            catch (NatsPayloadTooLargeException e)
            {
                _metrics.Dropped(1, entry.RecordCount);
                _log($"spooled batch {entry.Envelope.BatchSeq} dropped: {e.Message}");
            }
            catch (OperationCanceledException) when (_stop.IsCancellationRequested)
            {
                throw;
            }
            catch (Exception e)
            {
                _metrics.Error();
                if (lastError != e.Message) _log($"spool drain: batch {entry.Envelope.BatchSeq} not acknowledged ({e.Message}); retrying");
                lastError = e.Message;
                await Task.Delay(_options.RetryDelay, _stop.Token).ConfigureAwait(false);
                continue;
            }
            lastError = null;
            lock (_gate)
            {
                // A drop-oldest since the peek removed this entry already; advancing would skip a different one.
                if (generation == _spoolGeneration) _spool.Advance();
            }
        }
    }
}
