using Siem.Host.Server.Config;
using Siem.Nats;
using Siem.Nats.JetStream;

namespace Siem.Host.Server;

/// <summary>What every role of <c>siem serve</c> shares: the validated config, one NATS connection, the data dir and the log.</summary>
internal sealed class ServerContext
{
    public required ServerConfig Config { get; init; }
    /// <summary>Connected before any role runs; reconnects by itself. Roles may open their own connections if they need isolation.</summary>
    public required NatsConnection Nats { get; init; }
    public required NatsJSContext JetStream { get; init; }
    /// <summary>Diagnostics (stderr); never write secrets here.</summary>
    public required TextWriter Log { get; init; }
    public ServerServices Services { get; } = new();

    public string DataDir => Config.DataDir;

    /// <summary>The role's own YAML section (e.g. <c>ledger:</c>) with typed, located reads; null when the file has none.</summary>
    public ConfigSection? Section(string name) => Config.Sections.TryGetValue(name, out var s) ? s : null;

    public void Info(string role, string message)
    {
        lock (Log) Log.WriteLine($"{role}: {message}");
    }
}
