using Siem.Lineage.Ledger;
using Siem.Lineage.Subjects;
using Siem.Nats;

namespace Siem.Lineage.Hops;

/// <summary>
/// The lineage side of one process: the ledger under the data dir with its <see cref="LedgerConsumer"/> running in the
/// background, and a <see cref="PipelineLineage"/> (JetStream recorder + the data dir's pseudonymizer) for an engine in
/// the same process. Used by <c>siem demo</c> and the <c>lineage</c> server role.
/// </summary>
public sealed class LineageService : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private Task _run = Task.CompletedTask;

    private LineageService(LineageLedger ledger, LedgerConsumer consumer, PipelineLineage pipeline)
    {
        Ledger = ledger;
        Consumer = consumer;
        Pipeline = pipeline;
    }

    public LineageLedger Ledger { get; }
    public LedgerConsumer Consumer { get; }

    /// <summary>For an engine in this process: hops go to JetStream (and from there to <see cref="Ledger"/>).</summary>
    public PipelineLineage Pipeline { get; }

    /// <summary>Opens the ledger, creates the lineage stream and consumer, and starts storing hops.</summary>
    /// <param name="index">Name of the index the engine writes (shown by <c>siem lineage show</c>).</param>
    public static async Task<LineageService> StartAsync(NatsConnection connection, string dataDir, string index, Action<string>? log = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(connection);
        var subjects = SubjectPseudonymizer.Open(dataDir);
        var ledger = LineageLedger.Open(dataDir);
        try
        {
            var consumer = new LedgerConsumer(connection, ledger, log);
            await consumer.CreateConsumerAsync(cancellationToken).ConfigureAwait(false);
            var service = new LineageService(ledger, consumer,
                new PipelineLineage(new JetStreamLineageRecorder(connection), subjects, PipelineLineage.DefaultEngineInstance, index));
            service._run = Task.Run(() => consumer.RunAsync(service._stop.Token), CancellationToken.None);
            return service;
        }
        catch
        {
            await ledger.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Waits (up to <paramref name="timeout"/>) until every hop published so far is in the ledger; false on timeout.</summary>
    public async Task<bool> DrainAsync(TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (_run.IsFaulted) throw new InvalidOperationException("the ledger consumer stopped", _run.Exception);
            if (await Consumer.IsDrainedAsync(cancellationToken).ConfigureAwait(false)) return true;
            await Task.Delay(50, cancellationToken).ConfigureAwait(false);
        }
        return false;
    }

    /// <summary>Runs until <paramref name="cancellationToken"/> is cancelled; rethrows if the consumer fails.</summary>
    public async Task WaitAsync(CancellationToken cancellationToken)
    {
        using var reg = cancellationToken.Register(() => _stop.Cancel());
        try
        {
            await _run.ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        try { await _run.ConfigureAwait(false); } catch (OperationCanceledException) { }
        await Ledger.DisposeAsync().ConfigureAwait(false);
        _stop.Dispose();
    }
}
