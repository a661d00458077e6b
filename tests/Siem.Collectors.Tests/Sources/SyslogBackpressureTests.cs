using System.Net;
using System.Net.Sockets;
using System.Text;
using Siem.Collectors.Sources;
using static Siem.Collectors.Tests.Sources.SourceTestKit;

namespace Siem.Collectors.Tests.Sources;

public sealed class SyslogBackpressureTests
{
    [Fact]
    public async Task A_full_queue_slows_tcp_senders_down_and_loses_nothing()
    {
        using var cts = Timeout();
        await using var source = new SyslogSource(new SyslogOptions { Tcp = [new IPEndPoint(IPAddress.Loopback, 0)], QueueCapacity = 2 });
        source.Start();
        using var client = new TcpClient(AddressFamily.InterNetwork);
        await client.ConnectAsync(source.TcpEndpoints[0], cts.Token);
        var payload = Encoding.UTF8.GetBytes(string.Concat(Enumerable.Range(0, 5000).Select(i => $"<13>message {i}\n")));
        var sending = client.GetStream().WriteAsync(payload, cts.Token).AsTask();

        await using var reader = source.ReadAsync(cts.Token).GetAsyncEnumerator(cts.Token);
        var lines = await reader.TakeAsync(5000);
        await sending;

        Assert.Equal(Enumerable.Range(0, 5000).Select(i => $"<13>message {i}"), lines.Select(l => l.Text));
        Assert.Equal(0, source.Stats.Errors);
    }

    [Fact]
    public async Task Connections_beyond_the_limit_are_closed_and_counted_while_the_others_keep_working()
    {
        using var cts = Timeout();
        await using var source = new SyslogSource(new SyslogOptions { Tcp = [new IPEndPoint(IPAddress.Loopback, 0)], MaxConnections = 1 });
        source.Start();
        using var first = new TcpClient(AddressFamily.InterNetwork);
        await first.ConnectAsync(source.TcpEndpoints[0], cts.Token);
        await first.GetStream().WriteAsync("<13>from the first\n"u8.ToArray(), cts.Token);
        await using var reader = source.ReadAsync(cts.Token).GetAsyncEnumerator(cts.Token);
        Assert.Equal("<13>from the first", (await reader.TakeAsync(1))[0].Text);

        using var second = new TcpClient(AddressFamily.InterNetwork);
        await second.ConnectAsync(source.TcpEndpoints[0], cts.Token);
        var closed = await second.GetStream().ReadAsync(new byte[16], cts.Token);
        await first.GetStream().WriteAsync("<13>still served\n"u8.ToArray(), cts.Token);

        Assert.Equal(0, closed);
        Assert.Equal("<13>still served", (await reader.TakeAsync(1))[0].Text);
        Assert.Equal(1, source.Stats.Errors);
        Assert.Contains("already 1 connections", source.LastError, StringComparison.Ordinal);
    }
}
