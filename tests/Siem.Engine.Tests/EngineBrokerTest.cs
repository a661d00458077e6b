using Siem.Engine.Pipeline;
using Siem.Nats;
using Siem.Nats.JetStream;
using Siem.Testing;

namespace Siem.Engine.Tests;

/// <summary>
/// The set-up shared by tests that drive the engine through JetStream: a real nats-server of their own, the engine's
/// streams on it, one connection, and a temp dir removed afterwards.
/// </summary>
public abstract class EngineBrokerTest : IAsyncLifetime
{
    protected EngineBrokerTest(string dirPrefix) => Dir = Directory.CreateTempSubdirectory(dirPrefix).FullName;

    protected string Dir { get; }
    protected NatsServer Server { get; private set; } = null!;
    protected NatsConnection Connection { get; private set; } = null!;
    protected NatsJSContext Js { get; private set; } = null!;

    public virtual async Task InitializeAsync()
    {
        Server = await NatsServer.StartAsync();
        Connection = new NatsConnection(NatsOpts.Default with { Servers = [Server.Url] });
        await Connection.ConnectAsync();
        Js = new NatsJSContext(Connection);
        await EngineStreams.EnsureAsync(Js);
    }

    public virtual async Task DisposeAsync()
    {
        await Connection.DisposeAsync();
        await Server.DisposeAsync();
        Directory.Delete(Dir, recursive: true);
    }
}
