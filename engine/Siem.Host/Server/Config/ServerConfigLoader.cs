using NodaTime;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Siem.Host.Server.Config;

/// <summary>
/// Reads and validates <c>siem serve</c>'s YAML. Every error names file:line:column, the dotted key, what is expected
/// and what was found, e.g. <c>siem.yml:12:15: engine.batch_size: expected a positive integer up to 10000, got 'abc'</c>.
/// Unknown keys are errors. Secrets may be given as <c>KEY_env: VARIABLE</c> so the file itself holds none.
/// </summary>
internal static partial class ServerConfigLoader
{
    private static readonly string[] CoreSections = ["server", "nats", "rules", "index", "alerts", "engine", "enrollment", "scale_out"];

    public static ServerConfig Load(string path, Func<string, string?>? env = null)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ServerConfigException($"{path}: cannot read the config file: {e.Message}", e);
        }
        return Parse(text, Path.GetFileName(path), Path.GetDirectoryName(Path.GetFullPath(path))!, env) with { SourceFile = Path.GetFullPath(path) };
    }

    /// <summary>Parses YAML text; <paramref name="fileName"/> prefixes errors, relative paths resolve against <paramref name="baseDir"/>.</summary>
    public static ServerConfig Parse(string yaml, string fileName = "siem.yml", string? baseDir = null, Func<string, string?>? env = null)
    {
        env ??= Environment.GetEnvironmentVariable;
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(yaml));
        }
        catch (YamlException e)
        {
            throw new ServerConfigException($"{fileName}:{e.Start.Line}:{e.Start.Column}: invalid YAML: {e.InnerException?.Message ?? e.Message}", e);
        }
        if (stream.Documents.Count == 0) throw new ServerConfigException($"{fileName}: empty config file; expected at least server.data_dir");
        var rootNode = stream.Documents[0].RootNode;
        if (rootNode is not YamlMappingNode rootMap)
            throw new ServerConfigException($"{fileName}:{rootNode.Start.Line}:{rootNode.Start.Column}: (root): expected a mapping of keys, got {ConfigSection.Describe(rootNode)}");
        var root = new ConfigSection(rootMap, "", fileName, baseDir ?? Directory.GetCurrentDirectory());
        root.OnlyKeys([.. CoreSections, .. ServerRoles.Sections]);

        var server = root.Section("server") ?? throw root.Missing("server");
        server.OnlyKeys("data_dir", "roles", "instance");
        var config = new ServerConfig { DataDir = server.Path("data_dir") ?? throw server.Missing("data_dir") };
        if (server.Has("roles")) config = config with { Roles = server.StringList("roles") };
        if (server.String("instance") is { } instance) config = config with { Instance = instance };
        foreach (var (name, i) in config.Roles.Select((n, i) => (n, i)))
        {
            if (!ServerRoles.Names.Contains(name)) throw server.Error("roles", $"roles from {string.Join(", ", ServerRoles.Names)}", ConfigSection.Q(name));
        }

        config = ReadNats(root.Section("nats"), config, env);
        config = ReadRules(root.Section("rules"), config);
        config = ReadIndex(root.Section("index"), config, env);
        config = ReadAlerts(root.Section("alerts"), config);
        config = ReadEngine(root.Section("engine"), config);
        config = ReadEnrollment(root.Section("enrollment"), config, env);
        config = ReadScaleOut(root.Section("scale_out"), config);
        var sections = new Dictionary<string, ConfigSection>(StringComparer.Ordinal);
        foreach (var name in ServerRoles.Sections)
        {
            if (root.Section(name) is { } s) sections[name] = s;
        }
        return config with { Sections = sections };
    }

    private static ServerConfig ReadRules(ConfigSection? rules, ServerConfig config)
    {
        if (rules == null) return config;
        rules.OnlyKeys("include_pack", "dirs", "pipeline", "allowed_lateness_s");
        var dirs = rules.StringList("dirs").Select(rules.Resolve).ToList();
        foreach (var (dir, i) in dirs.Select((d, i) => (d, i)))
        {
            if (!Directory.Exists(dir) && !File.Exists(dir)) throw rules.Error("dirs", "existing rule directories or files", $"'{dir}' (not found)");
        }
        var pipeline = rules.Path("pipeline");
        if (pipeline != null && !File.Exists(pipeline)) throw rules.Error("pipeline", "an existing pipeline YAML file", $"'{pipeline}' (not found)");
        return config with
        {
            IncludePack = rules.Bool("include_pack", true),
            RuleDirs = dirs,
            PipelinePath = pipeline,
            AllowedLateness = Duration.FromSeconds(rules.PositiveInt("allowed_lateness_s", (long)config.AllowedLateness.TotalSeconds, max: 7 * 86400)),
        };
    }

    private static ServerConfig ReadAlerts(ConfigSection? alerts, ServerConfig config)
    {
        if (alerts == null) return config;
        alerts.OnlyKeys("channels_file", "update_interval_s", "resolve_on_window_end");
        var file = alerts.Path("channels_file");
        if (file != null && !File.Exists(file)) throw alerts.Error("channels_file", "an existing JSON channels file", $"'{file}' (not found)");
        return config with
        {
            AlertChannelsFile = file,
            AlertUpdateInterval = TimeSpan.FromSeconds(alerts.PositiveInt("update_interval_s", (long)config.AlertUpdateInterval.TotalSeconds, max: 86400)),
            AlertResolveOnWindowEnd = alerts.Bool("resolve_on_window_end", config.AlertResolveOnWindowEnd),
        };
    }

    private static ServerConfig ReadEngine(ConfigSection? engine, ServerConfig config)
    {
        if (engine == null) return config;
        engine.OnlyKeys("durable", "batch_size", "buffer_capacity", "ack_wait_ms", "suppression_window_s", "state_fsync_ms", "state_snapshot_ms", "report_lineage");
        var durable = engine.String("durable") ?? config.Durable;
        if (durable.Length == 0 || durable.Any(c => !(char.IsAsciiLetterOrDigit(c) || c is '-' or '_')))
            throw engine.Error("durable", "a consumer name from A-Z a-z 0-9 - _", ConfigSection.Q(durable));
        return config with
        {
            Durable = durable,
            BatchSize = (int)engine.PositiveInt("batch_size", config.BatchSize, max: 10_000),
            BufferCapacity = (int)engine.PositiveInt("buffer_capacity", config.BufferCapacity, max: 100_000),
            AckWait = TimeSpan.FromMilliseconds(engine.PositiveInt("ack_wait_ms", (long)config.AckWait.TotalMilliseconds, max: 3_600_000)),
            SuppressionWindow = Duration.FromSeconds(engine.PositiveInt("suppression_window_s", (long)config.SuppressionWindow.TotalSeconds, max: 30 * 86400)),
            StateFsyncInterval = TimeSpan.FromMilliseconds(engine.PositiveInt("state_fsync_ms", (long)config.StateFsyncInterval.TotalMilliseconds, max: 3_600_000)),
            StateSnapshotInterval = TimeSpan.FromMilliseconds(engine.PositiveInt("state_snapshot_ms", (long)config.StateSnapshotInterval.TotalMilliseconds, max: 3_600_000)),
            ReportLineage = engine.Bool("report_lineage", config.ReportLineage),
        };
    }
}
