using Siem.Nats.JetStream;

namespace Siem.Engine.Control;

/// <summary>
/// Changes made through the API that running engines must apply at once, announced in the JetStream KV bucket
/// <c>SIEM_CONTROL</c>: key <c>rules</c> (the rules under the data dir changed: reload them) and <c>agents.&lt;id&gt;</c>
/// (the agent was revoked) and <c>purges.&lt;job&gt;.&lt;part&gt;</c> (a purge: forget the subject's records and alerts,
/// ids only, see <see cref="Purge.SubjectForgetting"/>; long id lists are split in parts). The bucket keeps the latest value per key, so an engine that starts later, or was
/// disconnected, still learns every revocation (and every purge of the last <see cref="LiveChangePublisher.NoticeRetention"/>,
/// after which notices are removed; engines confirm the ones they applied in <see cref="EngineRoster"/>); the data dir's
/// files stay the source of truth for the rules.
/// </summary>
public static class LiveChanges
{
    public const string Bucket = "SIEM_CONTROL";
    public const string RulesKey = "rules";
    public const string AgentPrefix = "agents.";
    public const string PurgePrefix = "purges.";

    public static string AgentKey(string agentId) => AgentPrefix + agentId;

    public static string PurgeKey(string jobId, int part) => PurgePrefix + jobId + "." + part.ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Opens the bucket, creating it with one replica when missing.</summary>
    public static Task<NatsKVStore> OpenAsync(NatsJSContext jetStream, CancellationToken cancellationToken = default) => OpenAsync(jetStream, replicas: 1, cancellationToken);

    /// <summary>Creates the bucket when missing (every role that uses it does, so start order does not matter).</summary>
    /// <param name="replicas">Copies of the bucket if it is created now (an existing bucket keeps its own).</param>
    public static Task<NatsKVStore> OpenAsync(NatsJSContext jetStream, int replicas, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(jetStream);
        return jetStream.CreateKeyValueAsync(new KvConfig(Bucket)
        {
            Description = "siem: rule changes and agent revocations made through the API, applied live by the engines",
            History = 1,
            Replicas = replicas,
        }, cancellationToken);
    }
}
