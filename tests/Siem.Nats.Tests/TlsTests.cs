using Siem.Testing;

namespace Siem.Nats.Tests;

public sealed class TlsTests
{
    private static CancellationToken Timeout() => new CancellationTokenSource(TimeSpan.FromSeconds(15)).Token;

    private static async Task RoundTripAsync(NatsConnection c)
    {
        var ct = Timeout();
        await using var sub = await c.SubscribeAsync("tls.check", cancellationToken: ct);
        await c.PublishAsync("tls.check", "secret"u8.ToArray(), cancellationToken: ct);
        Assert.Equal("secret"u8.ToArray(), (await sub.Msgs.ReadAsync(ct)).Data.ToArray());
    }

    [Fact]
    public async Task TLS_with_the_CA_file_connects_when_the_server_requires_TLS()
    {
        using var certs = TestCertificates.Create();
        await using var server = await NatsServer.StartAsync(certs.ServerConfig(verify: false), jetStream: false);
        await using var c = new NatsConnection(NatsOpts.Default with { Servers = [server.Url], TlsCaFile = certs.CaFile });
        await c.ConnectAsync(Timeout());
        Assert.True(c.ServerInfo!.TlsRequired);
        await RoundTripAsync(c);
    }

    [Fact]
    public async Task TLS_server_certificate_from_an_unknown_CA_is_rejected()
    {
        using var certs = TestCertificates.Create();
        using var other = TestCertificates.Create();
        await using var server = await NatsServer.StartAsync(certs.ServerConfig(verify: false), jetStream: false);
        await using var c = new NatsConnection(NatsOpts.Default with { Servers = [server.Url], TlsCaFile = other.CaFile });
        var e = await Assert.ThrowsAsync<NatsConnectionException>(async () => await c.ConnectAsync(Timeout()));
        Assert.Contains(server.Url, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Mutual_TLS_connects_with_a_client_certificate_and_fails_without_one()
    {
        using var certs = TestCertificates.Create();
        await using var server = await NatsServer.StartAsync(certs.ServerConfig(verify: true), jetStream: false);
        var tlsUrl = $"tls://127.0.0.1:{server.Port}";
        await using (var c = new NatsConnection(NatsOpts.Default with
        {
            Servers = [tlsUrl],
            TlsCaFile = certs.CaFile,
            TlsCertFile = certs.ClientCertFile,
            TlsKeyFile = certs.ClientKeyFile,
        }))
        {
            await c.ConnectAsync(Timeout());
            await RoundTripAsync(c);
        }
        await using var noCert = new NatsConnection(NatsOpts.Default with { Servers = [tlsUrl], TlsCaFile = certs.CaFile });
        await Assert.ThrowsAsync<NatsConnectionException>(async () => await noCert.ConnectAsync(Timeout()));
    }
}
