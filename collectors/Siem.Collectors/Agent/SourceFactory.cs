using System.Net;
using Siem.Collectors.Config;
using Siem.Collectors.Sources;

namespace Siem.Collectors.Agent;

/// <summary>Builds the configured sources. File checkpoints live in &lt;state_dir&gt;/checkpoints/&lt;source name&gt;.json.</summary>
public static class SourceFactory
{
    public static IReadOnlyList<ILogSource> Create(AgentConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        var sources = new List<ILogSource>();
        try
        {
            foreach (var s in config.Sources)
            {
                var source = Create(s, config.StateDir);
                sources.Add(s.Module is null ? source : new ModuleLabelledSource(source, s.Module));
            }
        }
        catch
        {
            foreach (var created in sources) created.DisposeAsync().AsTask().GetAwaiter().GetResult();
            throw;
        }
        return sources;
    }

    private static ILogSource Create(SourceConfig s, string stateDir)
    {
        switch (s.Type)
        {
            case "file":
                return new FileTailSource(new FileTailOptions
                {
                    Paths = s.Paths,
                    Exclude = s.Exclude,
                    StartAtEnd = s.StartAtEnd,
                    CheckpointPath = Path.Combine(stateDir, "checkpoints", s.Name + ".json"),
                });
            case "syslog_udp":
            case "syslog_tcp":
                var endpoint = ParseEndpoint(s);
                var syslog = new SyslogSource(new SyslogOptions
                {
                    Udp = s.Type == "syslog_udp" ? [endpoint] : [],
                    Tcp = s.Type == "syslog_tcp" ? [endpoint] : [],
                    TlsCertificatePath = s.TlsCertFile,
                    TlsKeyPath = s.TlsKeyFile,
                });
                syslog.Start();
                return syslog;
            case "journald":
                return new JournaldSource(new JournaldOptions { CursorPath = Path.Combine(stateDir, "checkpoints", s.Name + ".cursor") });
            case "stdin":
                return new StdinSource();
            default:
                throw new NotSupportedException($"{s.Location}: source type '{s.Type}' is not available in this build of the agent");
        }
    }

    private static IPEndPoint ParseEndpoint(SourceConfig s)
    {
        var listen = s.Listen!;
        var colon = listen.LastIndexOf(':');
        var host = listen[..colon].Trim('[', ']');
        var port = int.Parse(listen.AsSpan(colon + 1), System.Globalization.CultureInfo.InvariantCulture);
        var address = host is "" or "*" ? IPAddress.Any
            : IPAddress.TryParse(host, out var ip) ? ip
            : Dns.GetHostAddresses(host).FirstOrDefault() ?? throw new ArgumentException($"{s.Location}: listen host '{host}' does not resolve");
        return new IPEndPoint(address, port);
    }
}
