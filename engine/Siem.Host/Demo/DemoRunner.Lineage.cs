using Siem.Engine.Index;
using Siem.Lineage.Hops;
using Siem.Nats;

namespace Siem.Host.Demo;

/// <summary>Lineage in the demo: the ledger and its consumer run in-process; the engine and the alert delivery report hops through JetStream.</summary>
internal sealed partial class DemoRunner
{
    private Task<LineageService> StartLineageAsync(NatsConnection connection, string dataDir, IIndexSink index, CancellationToken cancellationToken) =>
        LineageService.StartAsync(connection, dataDir, IndexName(index), m => Err($"lineage: {m}"), cancellationToken);

    /// <summary>Before exiting: every hop published so far is in the ledger, so <c>siem lineage show</c> finds it.</summary>
    private async Task DrainLineageAsync(LineageService lineage)
    {
        if (!await lineage.DrainAsync(TimeSpan.FromSeconds(15)).ConfigureAwait(false))
            Err("demo: lineage hops still pending after 15 s; they stay in the SIEM_LINEAGE stream and are stored on the next run");
        Err($"demo: lineage ledger {lineage.Ledger.DatabasePath}: {lineage.Consumer.Stored} hops stored, {lineage.Consumer.Rejected} rejected");
    }

    private static string IndexName(IIndexSink index) => index switch
    {
        SqliteIndexSink s => "sqlite:" + s.DatabasePath,
        _ => index.GetType().Name.Replace("IndexSink", "", StringComparison.Ordinal).ToLowerInvariant(),
    };
}
