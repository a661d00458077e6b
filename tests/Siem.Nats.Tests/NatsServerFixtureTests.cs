using System.Net.Sockets;
using System.Text;
using Siem.Testing;

namespace Siem.Nats.Tests;

public sealed class NatsServerFixtureTests
{
    [Fact]
    public async Task Started_server_greets_with_INFO_and_JetStream_enabled_and_stops_by_pid()
    {
        var server = await NatsServer.StartAsync();
        int pid = server.Pid;
        using (var tcp = new TcpClient())
        {
            await tcp.ConnectAsync("127.0.0.1", server.Port);
            var buf = new byte[4096];
            int n = await tcp.GetStream().ReadAsync(buf);
            var info = Encoding.ASCII.GetString(buf, 0, n);
            Assert.StartsWith("INFO {", info, StringComparison.Ordinal);
            Assert.Contains("\"jetstream\":true", info, StringComparison.Ordinal);
        }
        await server.DisposeAsync();
        Assert.Throws<ArgumentException>(() => System.Diagnostics.Process.GetProcessById(pid));
        Assert.False(Directory.Exists(server.WorkDir));
    }
}
