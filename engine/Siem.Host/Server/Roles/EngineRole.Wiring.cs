using Siem.Api.Rules;
using Siem.Core.Security;
using Siem.Engine.Detection;
using Siem.Engine.Index;
using Siem.Engine.Index.Elasticsearch;
using Siem.Host.Demo;
using Siem.Host.Server.Config;
using Siem.Rules.Correlation;
using Siem.Rules.Pipelines;

namespace Siem.Host.Server.Roles;

/// <summary>Builds the engine's parts from the config: identity, rules, index, alert delivery.</summary>
internal sealed partial class EngineRole
{
    /// <summary>The engine's keys (current for enrollment, earlier ones still open batches: <c>siem keys rotate</c>) and the agent registry.</summary>
    internal static (EngineKeyRing Keys, AgentRegistry Registry) LoadIdentity(string dataDir, Action<string> info)
    {
        var keys = EngineKeyRing.Open(dataDir, out bool created);
        if (created) info($"created engine key {keys.Current.KeyId} in {EngineKeyRing.CurrentPath(dataDir)}");
        else if (keys.Previous.Count > 0) info($"engine key {keys.Current.KeyId}; earlier keys still accepted: {string.Join(", ", keys.Previous.Select(k => k.KeyId))}");
        return (keys, new AgentRegistry(Path.Combine(dataDir, "engine", "agents.json")) { Log = info });
    }

    /// <summary>
    /// The rules the API edits: packs and configured paths (read-only), uploads in <c>&lt;data&gt;/rules</c>, minus the
    /// disabled ids; rebuilt live on <see cref="RuleStore.Refresh"/> (a change announced by an API process).
    /// </summary>
    private static (LiveRuleDetector Detector, RuleStore Rules) LoadRules(ServerConfig config, Action<string> info, ICorrelationOutbox? outbox = null)
    {
        var dirs = new List<string>();
        string? pipeline = config.PipelinePath;
        if (config.IncludePack)
        {
            var root = DemoPaths.RepoRoot()
                ?? throw new ServerConfigException($"{config.SourceFile}: rules.include_pack: our pack (rules/packs) was not found next to the siem host; give its path in rules.dirs or set include_pack: false");
            dirs.AddRange(DemoPaths.PackFiles(root));
            pipeline ??= DemoPaths.DefaultPipeline(root);
        }
        dirs.AddRange(config.RuleDirs);
        var rules = new RuleStore(Path.Combine(config.DataDir, "rules"), dirs);
        var mapping = pipeline != null ? FieldMappingPipeline.Load(pipeline) : null;
        var correlation = CorrelationOptions(config);
        var detector = new LiveRuleDetector(rules, set => new SigmaDetector(set, mapping, correlation, outbox), info);
        var loaded = (SigmaDetector)detector.Current;
        info($"{loaded.RuleCount} detection rules and {loaded.CorrelationCount} correlation rules ({(config.IncludePack ? "our pack + " : "")}{config.RuleDirs.Count} configured paths + uploads in {rules.CustomDir}), pipeline {pipeline ?? "none"}");
        foreach (var p in loaded.Problems.Take(10)) info($"rule problem: {p}");
        if (loaded.Problems.Count > 10) info($"... and {loaded.Problems.Count - 10} more rule problems (see `siem rules validate`)");
        return (detector, rules);
    }

    /// <summary>
    /// A revocation announced by an API process: this engine's next batch from the agent is quarantined. Logged once per
    /// agent and process, also when the registry already said so: an API process sharing the data dir writes the
    /// registry before it announces, and this engine may have re-read the file first.
    /// </summary>
    /// <param name="announced">Agents already logged by this process (the watch runs on one task).</param>
    private static void ApplyRevocation(AgentRegistry registry, string agentId, HashSet<string> announced, Action<string> info)
    {
        bool enrolled = (registry.TryGet(agentId, out var known) && known.Revoked) || registry.Revoke(agentId);
        if (!announced.Add(agentId)) return;
        info(enrolled
            ? $"agent '{agentId}' revoked through the API: its batches are quarantined from now on"
            : $"agent '{agentId}' was revoked through the API but is not enrolled here");
    }

    /// <summary>Scale-out: the partitions this engine owns follow a live rule change (the detector reloads on its own).</summary>
    private static void ReloadPartitionRules(Siem.Engine.ScaleOut.CorrelationPartitions partitions, RuleStore rules, Action<string> info)
    {
        try
        {
            partitions.UpdateRules(rules.EnabledRuleSet().Correlations.OfType<CorrelationRule>());
        }
        catch (Exception ex) when (ex is InvalidDataException or ArgumentException or IOException)
        {
            info($"correlation partitions keep their previous rules: {ex.Message}");
        }
    }

    /// <summary>
    /// Where this engine reports lineage hops: the recorder the lineage role of this process offers, or — with
    /// <c>engine.report_lineage: true</c> — its own publisher to SIEM_LINEAGE for a lineage role in another process
    /// (<c>siem@engine</c> + <c>siem@lineage</c>) or on another host (same <c>lineage.key</c>); null = none.
    /// </summary>
    private static async Task<Siem.Lineage.Hops.PipelineLineage?> ReportedLineageAsync(ServerContext context, Action<string> info, CancellationToken cancellationToken)
    {
        if (context.Services.Get<Siem.Lineage.Hops.PipelineLineage>() is { } offered) return offered;
        if (!context.Config.ReportLineage) return null;
        // The stream must exist before the first hop, whether or not the lineage process has started yet.
        await Siem.Engine.Pipeline.JetStreamSetUp.RetryAsync(() => Siem.Lineage.Hops.LineageStreams.EnsureAsync(context.JetStream, cancellationToken), info, cancellationToken).ConfigureAwait(false);
        info($"reporting lineage to {Siem.Lineage.Hops.LineageStreams.Stream} for a lineage role in another process (engine.report_lineage)");
        return new Siem.Lineage.Hops.PipelineLineage(new Siem.Lineage.Hops.JetStreamLineageRecorder(context.Nats),
            Siem.Lineage.Subjects.SubjectPseudonymizer.Open(context.DataDir), Siem.Lineage.Hops.PipelineLineage.DefaultEngineInstance, Index: "unknown");
    }

    internal static CorrelationOptions CorrelationOptions(ServerConfig config) => Rules.Correlation.CorrelationOptions.Default with { AllowedLateness = config.AllowedLateness };

    /// <summary>The index as lineage names it: <c>sqlite:&lt;path&gt;</c> or <c>elasticsearch:&lt;url&gt;</c>.</summary>
    internal static string IndexName(ServerConfig config) => config.IndexKind == "elasticsearch"
        ? "elasticsearch:" + config.ElasticsearchUrl!.GetLeftPart(UriPartial.Authority)
        : "sqlite:" + Path.Combine(Path.GetFullPath(config.SqliteDir ?? config.DataDir), "index.db");

    internal static IIndexSink OpenIndex(ServerConfig config, TextWriter log)
    {
        // Crypto-shredding: PII fields encrypted under per-subject keys kept in the data dir, where the purge destroys them.
        if (config.IndexKind != "elasticsearch") return SqliteIndexSink.OpenWithShredding(config.SqliteDir ?? config.DataDir, config.DataDir);
        return ElasticsearchIndexSink.OpenWithShredding(new ElasticsearchOptions
        {
            Url = config.ElasticsearchUrl!,
            Username = config.ElasticsearchUsername,
            Password = config.ElasticsearchPassword,
            ApiKey = config.ElasticsearchApiKey,
            DeadLetterPath = Path.Combine(config.DataDir, "es-dead-letter.jsonl"),
            Log = log,
        }, config.DataDir);
    }
}
