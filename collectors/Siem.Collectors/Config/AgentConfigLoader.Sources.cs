using YamlDotNet.RepresentationModel;

namespace Siem.Collectors.Config;

public static partial class AgentConfigLoader
{
    private static readonly string[] SourceTypes = ["file", "syslog_udp", "syslog_tcp", "journald", "stdin"];

    private static List<SourceConfig> ParseSources(Reader r, YamlNode? node)
    {
        var result = new List<SourceConfig>();
        if (node is null) return result;
        if (node is not YamlSequenceNode seq) throw r.Error(node, "sources", "a list of sources", Describe(node));
        var names = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < seq.Children.Count; i++)
        {
            var key = $"sources[{i}]";
            var map = r.Map(seq.Children[i], key);
            var typeNode = r.Required(map, "type", key);
            var type = r.Scalar(typeNode, $"{key}.type");
            if (!SourceTypes.Contains(type)) throw r.Error(typeNode, $"{key}.type", string.Join(", ", SourceTypes), Reader.Q(type));
            var source = new SourceConfig
            {
                Type = type,
                Name = r.OptionalId(map, "name", key) ?? $"{type}-{i}",
                Location = $"{r.FileName}:{map.Start.Line}:{map.Start.Column}",
                Module = r.OptionalModule(map, "module", key),
            };
            if (!names.Add(source.Name)) throw r.Error(map, $"{key}.name", "a name no other source uses", Reader.Q(source.Name));
            switch (type)
            {
                case "file":
                    r.OnlyKeys(map, key, "type", "name", "module", "paths", "exclude", "start_at_end");
                    var paths = r.StringList(r.Required(map, "paths", key), $"{key}.paths");
                    if (paths.Count == 0) throw r.Error(map, $"{key}.paths", "at least one path or glob", "an empty list");
                    source = source with
                    {
                        Paths = [.. paths.Select(r.Resolve)],
                        Exclude = r.Optional(map, "exclude") is { } ex ? [.. r.StringList(ex, $"{key}.exclude").Select(r.Resolve)] : [],
                        StartAtEnd = r.Bool(map, "start_at_end", key, false),
                    };
                    break;
                case "syslog_udp":
                case "syslog_tcp":
                    r.OnlyKeys(map, key, type == "syslog_tcp" ? ["type", "name", "module", "listen", "tls"] : ["type", "name", "module", "listen"]);
                    var listenNode = r.Required(map, "listen", key);
                    var listen = r.Scalar(listenNode, $"{key}.listen");
                    var colon = listen.LastIndexOf(':');
                    if (colon <= 0 || !int.TryParse(listen.AsSpan(colon + 1), out var port) || port is < 0 or > 65535)
                        throw r.Error(listenNode, $"{key}.listen", "host:port, e.g. 0.0.0.0:5514", Reader.Q(listen));
                    source = source with { Listen = listen };
                    if (r.Optional(map, "tls") is { } tlsNode)
                    {
                        var tls = r.Map(tlsNode, $"{key}.tls");
                        r.OnlyKeys(tls, $"{key}.tls", "cert_file", "key_file");
                        source = source with
                        {
                            TlsCertFile = r.PathValue(r.Required(tls, "cert_file", $"{key}.tls"), $"{key}.tls.cert_file"),
                            TlsKeyFile = r.PathValue(r.Required(tls, "key_file", $"{key}.tls"), $"{key}.tls.key_file"),
                        };
                    }
                    break;
                default:
                    r.OnlyKeys(map, key, "type", "name", "module");
                    break;
            }
            result.Add(source);
        }
        return result;
    }

    private static string Describe(YamlNode node) => node switch
    {
        YamlScalarNode s => $"'{s.Value}'",
        YamlSequenceNode => "a list",
        YamlMappingNode => "a mapping",
        _ => node.NodeType.ToString(),
    };
}
