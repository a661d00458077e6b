using Siem.Nats.Internal;

namespace Siem.Nats.Tests;

public sealed class ServerAddressTests
{
    [Theory]
    [InlineData("nats://10.0.0.5:4333", "10.0.0.5", 4333, false)]
    [InlineData("tls://broker.example:7422", "broker.example", 7422, true)]
    [InlineData("nats://localhost", "localhost", 4222, false)]
    [InlineData("127.0.0.1:5000", "127.0.0.1", 5000, false)]
    [InlineData("nats://[::1]:4222", "::1", 4222, false)]
    public void Server_urls_parse_to_host_port_and_tls(string url, string host, int port, bool tls) =>
        Assert.Equal(new ServerAddress(host, port, tls), ServerAddress.Parse(url));

    [Theory]
    [InlineData("http://host:4222", "scheme 'http'")]
    [InlineData("nats://user:pw@host:4222", "contains credentials")]
    [InlineData("nats://", "is not valid")]
    public void Bad_server_urls_are_rejected_with_the_reason(string url, string reason)
    {
        var e = Assert.Throws<ArgumentException>(() => ServerAddress.Parse(url));
        Assert.Contains(reason, e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("pw", e.Message, StringComparison.Ordinal);
    }
}
