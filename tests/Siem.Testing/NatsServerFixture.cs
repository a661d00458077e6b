using Xunit;

namespace Siem.Testing;

/// <summary>xunit class fixture: one JetStream-enabled nats-server shared by the tests of a class.</summary>
public sealed class NatsServerFixture : IAsyncLifetime
{
    private NatsServer? _server;

    public NatsServer Server => _server ?? throw new InvalidOperationException("fixture not initialised");
    public string Url => Server.Url;

    public async Task InitializeAsync() => _server = await NatsServer.StartAsync();

    public async Task DisposeAsync()
    {
        if (_server != null) await _server.DisposeAsync();
    }
}
