namespace Siem.Host.Server.Config;

internal static partial class ServerConfigLoader
{
    private static ServerConfig ReadNats(ConfigSection? nats, ServerConfig config, Func<string, string?> env)
    {
        if (nats == null) return config;
        nats.OnlyKeys("urls", "user", "password", "password_env", "token", "token_env", "nkey_seed_file", "tls", "replicas");
        var urls = nats.Has("urls") ? nats.StringList("urls") : [.. config.NatsServers];
        if (urls.Count == 0) throw nats.Error("urls", "at least one URL", "an empty list");
        foreach (var url in urls)
        {
            if (!(url.StartsWith("nats://", StringComparison.Ordinal) || url.StartsWith("tls://", StringComparison.Ordinal)))
                throw nats.Error("urls", "nats://host:port or tls://host:port URLs", ConfigSection.Q(url));
        }
        config = config with
        {
            NatsServers = urls,
            NatsUser = nats.String("user"),
            NatsPassword = Secret(nats, "password", env),
            NatsToken = Secret(nats, "token", env),
            NatsNKeySeedFile = ExistingFile(nats, "nkey_seed_file"),
            NatsReplicas = (int)nats.PositiveInt("replicas", config.NatsReplicas, max: 5),
        };
        if (nats.Section("tls") is { } tls)
        {
            tls.OnlyKeys("ca_file", "cert_file", "key_file");
            config = config with
            {
                NatsTlsCaFile = ExistingFile(tls, "ca_file"),
                NatsTlsCertFile = ExistingFile(tls, "cert_file"),
                NatsTlsKeyFile = ExistingFile(tls, "key_file"),
            };
            if ((config.NatsTlsCertFile == null) != (config.NatsTlsKeyFile == null))
                throw tls.Error(config.NatsTlsCertFile == null ? "cert_file" : "key_file", "cert_file and key_file together (client certificate)", "only one of them");
        }
        return config;
    }

    private static ServerConfig ReadIndex(ConfigSection? index, ServerConfig config, Func<string, string?> env)
    {
        if (index == null) return config;
        index.OnlyKeys("type", "sqlite", "elasticsearch");
        var kind = index.Choice("type", "sqlite", "sqlite", "elasticsearch");
        config = config with { IndexKind = kind };
        if (index.Section("sqlite") is { } sqlite)
        {
            sqlite.OnlyKeys("dir");
            config = config with { SqliteDir = sqlite.Path("dir") };
        }
        var es = index.Section("elasticsearch");
        if (es != null)
        {
            es.OnlyKeys("url", "username", "password", "password_env", "api_key", "api_key_env");
            var raw = es.RequiredString("url");
            if (!Uri.TryCreate(raw, UriKind.Absolute, out var url) || (url.Scheme != Uri.UriSchemeHttp && url.Scheme != Uri.UriSchemeHttps))
                throw es.Error("url", "an http(s) URL such as https://es.example:9200", ConfigSection.Q(raw));
            config = config with
            {
                ElasticsearchUrl = url,
                ElasticsearchUsername = es.String("username"),
                ElasticsearchPassword = Secret(es, "password", env),
                ElasticsearchApiKey = Secret(es, "api_key", env),
            };
        }
        else if (kind == "elasticsearch")
        {
            throw index.Error("elasticsearch", "an elasticsearch: section with at least url (index.type is elasticsearch)", "none");
        }
        return config;
    }

    private static ServerConfig ReadEnrollment(ConfigSection? enrollment, ServerConfig config, Func<string, string?> env)
    {
        if (enrollment == null) return config;
        enrollment.OnlyKeys("tokens_env", "tokens_file", "agent_key_grace_s");
        config = config with { AgentKeyGrace = TimeSpan.FromSeconds(enrollment.PositiveInt("agent_key_grace_s", (long)config.AgentKeyGrace.TotalSeconds, max: 90 * 86400)) };
        var tokens = new List<string>();
        if (enrollment.String("tokens_env") is { } variable)
        {
            var value = env(variable) ?? throw enrollment.Error("tokens_env", $"the name of a set environment variable (comma-separated tokens)", $"{ConfigSection.Q(variable)}, which is not set");
            tokens.AddRange(value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        }
        if (enrollment.Path("tokens_file") is { } file)
        {
            if (!File.Exists(file)) throw enrollment.Error("tokens_file", "an existing file with one token per line", $"'{file}' (not found)");
            if (!OperatingSystem.IsWindows() && (File.GetUnixFileMode(file) & (UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.OtherRead | UnixFileMode.OtherWrite)) != 0)
                throw enrollment.Error("tokens_file", "a file only its owner can read (chmod 600)", $"'{file}' with mode {Convert.ToString((int)File.GetUnixFileMode(file), 8)}");
            tokens.AddRange(File.ReadAllLines(file).Select(l => l.Trim()).Where(l => l.Length > 0 && !l.StartsWith('#')));
        }
        if (tokens.Any(t => t.Length < 16))
            throw enrollment.Error(enrollment.Has("tokens_file") ? "tokens_file" : "tokens_env", "tokens of at least 16 characters", "a shorter token");
        return config with { EnrollmentTokens = tokens };
    }

    /// <summary>A secret given inline (<c>name</c>) or by environment variable (<c>name_env</c>); errors name the variable, never a value.</summary>
    private static string? Secret(ConfigSection section, string name, Func<string, string?> env)
    {
        if (section.String(name) is { } inline) return inline;
        if (section.String(name + "_env") is not { } variable) return null;
        return env(variable) is { Length: > 0 } v
            ? v
            : throw section.Error(name + "_env", "the name of a set environment variable", $"{ConfigSection.Q(variable)}, which is not set");
    }

    private static string? ExistingFile(ConfigSection section, string name)
    {
        var path = section.Path(name);
        if (path != null && !File.Exists(path)) throw section.Error(name, "an existing file", $"'{path}' (not found)");
        return path;
    }
}
