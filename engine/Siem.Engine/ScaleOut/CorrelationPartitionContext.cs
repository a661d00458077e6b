using NodaTime;
using Siem.Engine.Alerts;
using Siem.Nats.JetStream;
using Siem.Rules.Correlation;

namespace Siem.Engine.ScaleOut;

/// <summary>What every partition worker of one engine shares: the broker, the state store, the router, the rules and where alerts go.</summary>
internal sealed class CorrelationPartitionContext
{
    public required NatsJSContext Js { get; init; }
    public required PartitionStateStore Store { get; init; }
    public required CorrelationRouter Router { get; init; }
    public required ScaleOutOptions Options { get; init; }
    /// <summary>A fresh correlation engine over the loaded correlation rules, routing chained matches.</summary>
    public required Func<CorrelationEngine> NewEngine { get; init; }
    public required Duration SuppressionWindow { get; init; }
    /// <summary>Indexes the alerts (throws when not confirmed), then publishes and reports them.</summary>
    public required Func<List<(AlertDocument Alert, bool IsNew)>, CancellationToken, Task> IndexAlertsAsync { get; init; }
    public required Action<string> Log { get; init; }
    public required Action<int, ulong, string> Malformed { get; init; }
    public required Action<int, string> Unknown { get; init; }
    /// <summary>Purges learned while running; the workers forget their records (<see cref="CorrelationPartitions.Forget"/>).</summary>
    public PartitionForgetLog Forgets { get; } = new();
}
