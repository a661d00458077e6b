using Siem.Core.Security;
using Siem.Engine.Detection;
using Siem.Engine.Index;
using Siem.Engine.Index.Elasticsearch;
using Siem.Host.Demo;
using Siem.Host.Server.Config;
using Siem.Rules.Correlation;

namespace Siem.Host.Server.Roles;

/// <summary>Builds the engine's parts from the config: identity, rules, index, alert delivery.</summary>
internal sealed partial class EngineRole
{
    /// <summary>The X25519 key agents encrypt to (created on first start, mode 0600) and the registry of enrolled agents.</summary>
    internal static (EngineKeyPair Key, AgentRegistry Registry) LoadIdentity(string dataDir, Action<string> info)
    {
        var engineDir = Path.Combine(dataDir, "engine");
        Directory.CreateDirectory(engineDir);
        var keyPath = Path.Combine(engineDir, "engine-key.json");
        EngineKeyPair key;
        if (File.Exists(keyPath))
        {
            key = EngineKeyPair.Load(keyPath);
        }
        else
        {
            key = EngineKeyPair.Create();
            key.Save(keyPath);
            info($"created engine key {key.KeyId} in {keyPath}");
        }
        return (key, new AgentRegistry(Path.Combine(engineDir, "agents.json")));
    }

    private static SigmaDetector LoadRules(ServerConfig config, Action<string> info, ICorrelationOutbox? outbox = null)
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
        var detector = SigmaDetector.Load(dirs, pipeline, CorrelationOptions(config), outbox);
        info($"{detector.RuleCount} detection rules and {detector.CorrelationCount} correlation rules ({(config.IncludePack ? "our pack + " : "")}{config.RuleDirs.Count} configured paths), pipeline {pipeline ?? "none"}");
        foreach (var p in detector.Problems.Take(10)) info($"rule problem: {p}");
        if (detector.Problems.Count > 10) info($"... and {detector.Problems.Count - 10} more rule problems (see `siem rules validate`)");
        return detector;
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
