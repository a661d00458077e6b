using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Siem.Collectors.Sources;
using static Siem.Collectors.Tests.Sources.SourceTestKit;

namespace Siem.Collectors.Tests.Sources;

public sealed class SyslogSourceTests
{
    private static readonly IPEndPoint AnyLoopbackPort = new(IPAddress.Loopback, 0);

    [Fact]
    public async Task Udp_datagrams_become_one_line_each_with_the_sender_as_peer()
    {
        using var cts = Timeout();
        await using var source = new SyslogSource(new SyslogOptions { Udp = [AnyLoopbackPort] });
        source.Start();
        var port = source.UdpEndpoints[0].Port;
        using var client = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        foreach (var message in new[] { "<34>Oct 11 22:14:15 mymachine su: 'su root' failed\n", "<13>1 2026-11-22T04:00:00Z host app - - - second", "<13>third\u00e9\r\n" })
        {
            await client.SendAsync(Encoding.UTF8.GetBytes(message), new IPEndPoint(IPAddress.Loopback, port), cts.Token);
        }

        await using var reader = source.ReadAsync(cts.Token).GetAsyncEnumerator(cts.Token);
        var lines = await reader.TakeAsync(3);

        Assert.Equal(["<34>Oct 11 22:14:15 mymachine su: 'su root' failed", "<13>1 2026-11-22T04:00:00Z host app - - - second", "<13>third\u00e9"], lines.Select(l => l.Text));
        Assert.All(lines, l => Assert.Equal(client.Client.LocalEndPoint!.ToString(), l.Peer));
        Assert.All(lines, l => Assert.Equal($"syslog:udp:{port}", l.SourceKey));
        Assert.All(lines, l => Assert.Equal("syslog", l.Source));
        Assert.Equal([1L, 1L], lines.Zip(lines.Skip(1)).Select(p => p.Second.Offset - p.First.Offset));
        Assert.Equal(3, source.Stats.Lines);
    }

    [Fact]
    public async Task Tcp_octet_counted_frames_are_split_whether_several_share_a_segment_or_one_spans_segments()
    {
        using var cts = Timeout();
        await using var source = new SyslogSource(new SyslogOptions { Tcp = [AnyLoopbackPort] });
        source.Start();
        using var client = await ConnectAsync(source, cts.Token);
        var stream = client.GetStream();

        var third = Frame("<34>1 third, split inside its length prefix");
        byte[] firstSegment = [.. Frame("<34>1 first"), .. Frame("<34>1 second with\nnewline inside"), .. third[..1]];
        await stream.WriteAsync(firstSegment, cts.Token);
        await Task.Delay(50, cts.Token); // make the split real: the rest arrives in a later segment
        await stream.WriteAsync(third[1..20], cts.Token);
        await Task.Delay(50, cts.Token);
        await stream.WriteAsync(third[20..], cts.Token);
        await stream.WriteAsync(Frame("<34>1 fourth"), cts.Token);

        await using var reader = source.ReadAsync(cts.Token).GetAsyncEnumerator(cts.Token);
        var lines = await reader.TakeAsync(4);

        Assert.Equal(["<34>1 first", "<34>1 second with\nnewline inside", "<34>1 third, split inside its length prefix", "<34>1 fourth"], lines.Select(l => l.Text));
        Assert.All(lines, l => Assert.Equal(client.Client.LocalEndPoint!.ToString(), l.Peer));
        Assert.All(lines, l => Assert.Equal("syslog:tcp:" + client.Client.LocalEndPoint, l.SourceKey));
    }

    [Fact]
    public async Task Tcp_newline_and_nul_delimited_frames_are_split_including_one_spanning_segments_and_one_ended_by_closing()
    {
        using var cts = Timeout();
        await using var source = new SyslogSource(new SyslogOptions { Tcp = [AnyLoopbackPort] });
        source.Start();
        using (var client = await ConnectAsync(source, cts.Token))
        {
            var stream = client.GetStream();
            await stream.WriteAsync("<13>one\n<13>two\0<13>three\r\n<13>fo"u8.ToArray(), cts.Token);
            await Task.Delay(50, cts.Token);
            await stream.WriteAsync("ur\n2026-11-22 not octet counted\n<13>unterminated"u8.ToArray(), cts.Token);
        }

        await using var reader = source.ReadAsync(cts.Token).GetAsyncEnumerator(cts.Token);
        var lines = await reader.TakeAsync(6);

        Assert.Equal(["<13>one", "<13>two", "<13>three", "<13>four", "2026-11-22 not octet counted", "<13>unterminated"], lines.Select(l => l.Text));
    }

    [Fact]
    public async Task Oversized_messages_are_truncated_flagged_and_counted_and_the_stream_stays_in_sync()
    {
        using var cts = Timeout();
        await using var source = new SyslogSource(new SyslogOptions { Tcp = [AnyLoopbackPort], MaxMessageBytes = 100 });
        source.Start();
        using var client = await ConnectAsync(source, cts.Token);
        var big = "<13>" + new string('a', 5000);
        await client.GetStream().WriteAsync(Frame(big).Concat(Frame("<13>small")).Concat(Encoding.UTF8.GetBytes(big + "\n<13>tail\n")).ToArray(), cts.Token);

        await using var reader = source.ReadAsync(cts.Token).GetAsyncEnumerator(cts.Token);
        var lines = await reader.TakeAsync(4);

        Assert.Equal([big[..100], "<13>small", big[..100], "<13>tail"], lines.Select(l => l.Text));
        Assert.Equal([true, false, true, false], lines.Select(l => l.Truncated));
        Assert.Equal(2, source.Stats.TruncatedLines);
    }

    [Fact]
    public async Task Tls_connections_are_served_with_the_pem_certificate_and_framed_like_tcp()
    {
        using var dir = new TempDir();
        using var cts = Timeout();
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=localhost", key, HashAlgorithmName.SHA256);
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddHours(1));
        await File.WriteAllTextAsync(dir.File("server.crt"), certificate.ExportCertificatePem(), cts.Token);
        await File.WriteAllTextAsync(dir.File("server.key"), key.ExportPkcs8PrivateKeyPem(), cts.Token);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(dir.File("server.key"), UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        await using var source = new SyslogSource(new SyslogOptions
        {
            Tcp = [AnyLoopbackPort],
            TlsCertificatePath = dir.File("server.crt"),
            TlsKeyPath = dir.File("server.key"),
        });
        source.Start();
        using var client = await ConnectAsync(source, cts.Token);
        await using var tls = new SslStream(client.GetStream(), false, (_, cert, _, _) => cert is not null && cert.GetCertHashString() == certificate.GetCertHashString());
        await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions { TargetHost = "localhost" }, cts.Token);
        await tls.WriteAsync(Frame("<165>1 2026-11-22T04:00:00Z host app 1 ID47 - over tls").Concat("<13>newline framed too\n"u8.ToArray()).ToArray(), cts.Token);

        await using var reader = source.ReadAsync(cts.Token).GetAsyncEnumerator(cts.Token);
        var lines = await reader.TakeAsync(2);

        Assert.Equal(["<165>1 2026-11-22T04:00:00Z host app 1 ID47 - over tls", "<13>newline framed too"], lines.Select(l => l.Text));
    }

    [Fact]
    public async Task A_plain_tcp_client_on_a_tls_listener_is_an_error_not_a_message()
    {
        using var dir = new TempDir();
        using var cts = Timeout();
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var certificate = new CertificateRequest("CN=localhost", key, HashAlgorithmName.SHA256).CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddHours(1));
        await File.WriteAllTextAsync(dir.File("both.pem"), certificate.ExportCertificatePem() + "\n" + key.ExportPkcs8PrivateKeyPem(), cts.Token);
        await using var source = new SyslogSource(new SyslogOptions { Tcp = [AnyLoopbackPort], TlsCertificatePath = dir.File("both.pem") });
        source.Start();

        using (var client = await ConnectAsync(source, cts.Token))
        {
            var stream = client.GetStream();
            await stream.WriteAsync("<13>plain text on a TLS port\n"u8.ToArray(), cts.Token);
            try
            {
                while (await stream.ReadAsync(new byte[256], cts.Token) > 0)
                {
                }
            }
            catch (IOException)
            {
                // the server may reset the connection
            }
        }

        while (source.Stats.Errors == 0)
        {
            await Task.Delay(10, cts.Token);
        }

        Assert.Equal(0, source.Stats.Lines);
        Assert.Contains("TCP peer", source.LastError, StringComparison.Ordinal);
    }

    [Fact]
    public void A_certificate_file_without_a_key_is_a_clear_error_naming_the_file()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir.File("nokey.pem"), "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n");
        var source = new SyslogSource(new SyslogOptions { Tcp = [AnyLoopbackPort], TlsCertificatePath = dir.File("nokey.pem") });

        var error = Assert.Throws<InvalidOperationException>(source.Start);

        Assert.Contains(dir.File("nokey.pem"), error.Message, StringComparison.Ordinal);
    }

    private static byte[] Frame(string message)
    {
        var body = Encoding.UTF8.GetBytes(message);
        return [.. Encoding.ASCII.GetBytes($"{body.Length} "), .. body];
    }

    private static async Task<TcpClient> ConnectAsync(SyslogSource source, CancellationToken cancellationToken)
    {
        var client = new TcpClient(AddressFamily.InterNetwork) { NoDelay = true };
        await client.ConnectAsync(source.TcpEndpoints[0], cancellationToken);
        return client;
    }
}
