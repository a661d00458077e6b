using NodaTime;
using Siem.Collectors.Delivery;
using Siem.Collectors.Spool;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Siem.Collectors.Config;

/// <summary>
/// Reads and validates the agent YAML. Every error names file:line:column, the dotted key, what is expected
/// and what was found, e.g. <c>agent.yml:12:5: batch.max_records: expected a positive integer, got 'abc'</c>.
/// Unknown keys are errors too (a typo must not silently fall back to a default).
/// </summary>
public static partial class AgentConfigLoader
{
    public static AgentConfig Load(string path)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new AgentConfigException($"{path}: cannot read the config file: {e.Message}", e);
        }
        return Parse(text, Path.GetFileName(path), Path.GetDirectoryName(Path.GetFullPath(path))!);
    }

    /// <summary>Parses YAML text; <paramref name="fileName"/> prefixes errors, relative paths resolve against <paramref name="baseDir"/>.</summary>
    public static AgentConfig Parse(string yaml, string fileName = "agent.yml", string? baseDir = null)
    {
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(yaml));
        }
        catch (YamlException e)
        {
            throw new AgentConfigException($"{fileName}:{e.Start.Line}:{e.Start.Column}: invalid YAML: {e.InnerException?.Message ?? e.Message}", e);
        }
        if (stream.Documents.Count == 0) throw new AgentConfigException($"{fileName}: empty config file; expected at least agent.state_dir");
        var r = new Reader(fileName, baseDir ?? Directory.GetCurrentDirectory());
        var root = r.Map(stream.Documents[0].RootNode, "");
        r.OnlyKeys(root, "", "agent", "servers", "sources", "parser", "batch", "spool", "delivery", "status_interval_ms");

        var agent = r.Map(r.Required(root, "agent", ""), "agent");
        r.OnlyKeys(agent, "agent", "id", "tenant", "state_dir", "key_check_interval_s");
        var config = new AgentConfig
        {
            AgentId = r.OptionalId(agent, "id", "agent"),
            Tenant = r.OptionalId(agent, "tenant", "agent"),
            StateDir = r.PathValue(r.Required(agent, "state_dir", "agent"), "agent.state_dir"),
            KeyCheckInterval = TimeSpan.FromSeconds(r.PositiveInt(agent, "key_check_interval_s", "agent", 300, max: 86400)),
        };

        if (r.Optional(root, "servers") is { } serversNode)
        {
            var servers = r.Map(serversNode, "servers");
            r.OnlyKeys(servers, "servers", "urls", "tls", "user", "password", "token", "nkey_seed_file");
            var urls = r.Optional(servers, "urls") is { } u ? r.StringList(u, "servers.urls") : config.Servers;
            foreach (var (url, i) in urls.Select((x, i) => (x, i)))
            {
                if (!(url.StartsWith("nats://", StringComparison.Ordinal) || url.StartsWith("tls://", StringComparison.Ordinal)))
                    throw r.Error(((YamlSequenceNode)servers.Children[new YamlScalarNode("urls")]).Children[i], $"servers.urls[{i}]", "a nats://host:port or tls://host:port URL", Reader.Q(url));
            }
            if (urls.Count == 0) throw r.Error(servers, "servers.urls", "at least one URL", "an empty list");
            config = config with
            {
                Servers = urls,
                User = r.OptionalString(servers, "user", "servers"),
                Password = r.OptionalString(servers, "password", "servers"),
                Token = r.OptionalString(servers, "token", "servers"),
                NKeySeedFile = r.OptionalPath(servers, "nkey_seed_file", "servers"),
            };
            if (r.Optional(servers, "tls") is { } tlsNode)
            {
                var tls = r.Map(tlsNode, "servers.tls");
                r.OnlyKeys(tls, "servers.tls", "ca_file", "cert_file", "key_file");
                config = config with
                {
                    TlsCaFile = r.OptionalPath(tls, "ca_file", "servers.tls"),
                    TlsCertFile = r.OptionalPath(tls, "cert_file", "servers.tls"),
                    TlsKeyFile = r.OptionalPath(tls, "key_file", "servers.tls"),
                };
                if ((config.TlsCertFile is null) != (config.TlsKeyFile is null))
                    throw r.Error(tls, "servers.tls", "cert_file and key_file together (client certificate = mTLS)", "only one of them");
            }
        }

        config = config with { Sources = ParseSources(r, r.Optional(root, "sources")) };

        if (r.Optional(root, "parser") is { } parserNode)
        {
            var parser = r.Map(parserNode, "parser");
            r.OnlyKeys(parser, "parser", "timezone");
            if (r.Optional(parser, "timezone") is { } tzNode)
            {
                var tz = r.Scalar(tzNode, "parser.timezone");
                config = config with { TimeZone = DateTimeZoneProviders.Tzdb.GetZoneOrNull(tz) ?? throw r.Error(tzNode, "parser.timezone", "an IANA time zone such as UTC or Europe/Paris", Reader.Q(tz)) };
            }
        }

        if (r.Optional(root, "batch") is { } batchNode)
        {
            var batch = r.Map(batchNode, "batch");
            r.OnlyKeys(batch, "batch", "max_records", "max_bytes", "linger_ms");
            config = config with
            {
                Batch = new BatchOptions
                {
                    MaxRecords = (int)r.PositiveInt(batch, "max_records", "batch", BatchOptions.Default.MaxRecords, max: 100_000),
                    MaxBytes = (int)r.PositiveInt(batch, "max_bytes", "batch", BatchOptions.Default.MaxBytes, max: 8 * 1024 * 1024),
                    Linger = TimeSpan.FromMilliseconds(r.PositiveInt(batch, "linger_ms", "batch", (long)BatchOptions.Default.Linger.TotalMilliseconds, max: 60_000)),
                },
            };
        }

        if (r.Optional(root, "spool") is { } spoolNode)
        {
            var spool = r.Map(spoolNode, "spool");
            r.OnlyKeys(spool, "spool", "max_bytes", "segment_bytes", "full_policy", "fsync");
            var policy = SpoolOptions.Default.FullPolicy;
            if (r.Optional(spool, "full_policy") is { } policyNode)
            {
                policy = r.Scalar(policyNode, "spool.full_policy") switch
                {
                    "backpressure" => SpoolFullPolicy.Backpressure,
                    "drop_oldest" => SpoolFullPolicy.DropOldest,
                    var other => throw r.Error(policyNode, "spool.full_policy", "backpressure or drop_oldest", Reader.Q(other)),
                };
            }
            config = config with
            {
                Spool = new SpoolOptions
                {
                    MaxBytes = r.PositiveInt(spool, "max_bytes", "spool", SpoolOptions.Default.MaxBytes),
                    SegmentBytes = r.PositiveInt(spool, "segment_bytes", "spool", SpoolOptions.Default.SegmentBytes),
                    FullPolicy = policy,
                    FsyncOnAppend = r.Bool(spool, "fsync", "spool", SpoolOptions.Default.FsyncOnAppend),
                },
            };
            if (config.Spool.MaxBytes < 2L * config.Batch.MaxBytes)
                throw r.Error(r.Optional(spool, "max_bytes") ?? spool, "spool.max_bytes", $"at least twice batch.max_bytes ({2L * config.Batch.MaxBytes})", Reader.Q(config.Spool.MaxBytes.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        }

        if (r.Optional(root, "delivery") is { } deliveryNode)
        {
            var delivery = r.Map(deliveryNode, "delivery");
            r.OnlyKeys(delivery, "delivery", "max_in_flight", "max_in_flight_bytes", "ack_timeout_ms");
            config = config with
            {
                Delivery = new ShipperOptions
                {
                    MaxInFlight = (int)r.PositiveInt(delivery, "max_in_flight", "delivery", ShipperOptions.Default.MaxInFlight, max: 4096),
                    MaxInFlightBytes = r.PositiveInt(delivery, "max_in_flight_bytes", "delivery", ShipperOptions.Default.MaxInFlightBytes),
                    AckTimeout = TimeSpan.FromMilliseconds(r.PositiveInt(delivery, "ack_timeout_ms", "delivery", (long)ShipperOptions.Default.AckTimeout.TotalMilliseconds)),
                },
            };
        }

        return config with { StatusInterval = TimeSpan.FromMilliseconds(r.PositiveInt(root, "status_interval_ms", "", 2000)) };
    }
}
