using Siem.Lineage.Hops;
using Siem.Lineage.Ledger;
using Siem.Lineage.Subjects;

namespace Siem.Host.Server.Roles;

/// <summary>
/// The <c>lineage</c> role: stores the hops of <c>SIEM_LINEAGE</c> in the ledger under the data dir
/// (<c>&lt;data&gt;/lineage/ledger.db</c>, acked after each write), and offers the engine role of the same process a
/// <see cref="PipelineLineage"/> (JetStream recorder + the data dir's subject pseudonymizer) so it reports lineage.
/// Run it in one process per ledger (the lineage stream is a work queue).
/// </summary>
internal sealed class LineageRole : IServerRole
{
    public string Name => "lineage";

    public void Configure(ServerContext context)
    {
        // The engine role fills in the index name it writes.
        context.Services.Add(new PipelineLineage(new JetStreamLineageRecorder(context.Nats), SubjectPseudonymizer.Open(context.DataDir),
            PipelineLineage.DefaultEngineInstance, Index: "unknown"));
    }

    public async Task RunAsync(ServerContext context, CancellationToken cancellationToken)
    {
        void Info(string m) => context.Info("lineage", m);
        await using var ledger = LineageLedger.Open(context.DataDir);
        var consumer = new LedgerConsumer(context.Nats, ledger, Info);
        await consumer.CreateConsumerAsync(cancellationToken).ConfigureAwait(false);
        Info($"storing hops of {LineageStreams.Stream} (durable '{LineageStreams.LedgerDurable}') in {ledger.DatabasePath}");
        try
        {
            await consumer.RunAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
        Info($"stopped: {consumer.Stored} hops stored, {consumer.Rejected} rejected, {consumer.WriteFailures} write failures (redelivered)");
    }
}
