using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Siem.Engine.Tests;

/// <summary>A minimal RFC 5321 receiver on 127.0.0.1 (EHLO/HELO, MAIL FROM, RCPT TO, DATA, RSET, NOOP, QUIT) that records messages.
/// <paramref name="rcptReply"/> lets a test refuse recipients (e.g. "550 5.1.1 no such user").</summary>
internal sealed class ChannelSmtpServer : IDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly Task _loop;
    private readonly string _rcptReply;

    public sealed record Mail(string From, List<string> To, string Data);

    public ConcurrentQueue<Mail> Messages { get; } = new();
    public ConcurrentQueue<string> Commands { get; } = new();
    public int Port { get; }

    /// <summary>Completes when a client sends QUIT: the BCL SmtpClient sends it while disposing, without waiting for the 221.</summary>
    public Task QuitReceived => _quit.Task;

    private readonly TaskCompletionSource _quit = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public ChannelSmtpServer(string rcptReply = "250 2.1.5 ok")
    {
        _rcptReply = rcptReply;
        _listener.Start();
        Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        _loop = Task.Run(LoopAsync);
    }

    private async Task LoopAsync()
    {
        while (true)
        {
            TcpClient client;
            try { client = await _listener.AcceptTcpClientAsync(); }
            catch (Exception e) when (e is SocketException or ObjectDisposedException or InvalidOperationException) { return; }
            _ = Task.Run(() => SessionAsync(client));
        }
    }

    private async Task SessionAsync(TcpClient client)
    {
        using (client)
        {
            var stream = client.GetStream();
            var reader = new StreamReader(stream, Encoding.UTF8);
            var writer = new StreamWriter(stream, new UTF8Encoding(false)) { NewLine = "\r\n", AutoFlush = true };
            await writer.WriteLineAsync("220 localhost ESMTP test");
            string from = "";
            var to = new List<string>();
            while (await reader.ReadLineAsync() is { } line)
            {
                Commands.Enqueue(line);
                string verb = line.Split(' ', ':')[0].ToUpperInvariant();
                switch (verb)
                {
                    case "EHLO":
                        await writer.WriteLineAsync("250-localhost greets you");
                        await writer.WriteLineAsync("250 8BITMIME");
                        break;
                    case "HELO":
                        await writer.WriteLineAsync("250 localhost");
                        break;
                    case "MAIL":
                        from = Between(line);
                        to.Clear();
                        await writer.WriteLineAsync("250 2.1.0 ok");
                        break;
                    case "RCPT":
                        if (_rcptReply.StartsWith('2')) to.Add(Between(line));
                        await writer.WriteLineAsync(_rcptReply);
                        break;
                    case "DATA":
                        await writer.WriteLineAsync("354 end data with <CR><LF>.<CR><LF>");
                        var data = new StringBuilder();
                        while (await reader.ReadLineAsync() is { } d && d != ".")
                            data.Append(d.StartsWith("..", StringComparison.Ordinal) ? d[1..] : d).Append("\r\n");
                        Messages.Enqueue(new Mail(from, [.. to], data.ToString()));
                        await writer.WriteLineAsync("250 2.0.0 queued");
                        break;
                    case "QUIT":
                        _quit.TrySetResult();
                        await writer.WriteLineAsync("221 2.0.0 bye");
                        return;
                    default:
                        await writer.WriteLineAsync("250 ok");
                        break;
                }
            }
        }
    }

    private static string Between(string line)
    {
        int a = line.IndexOf('<', StringComparison.Ordinal), b = line.IndexOf('>', StringComparison.Ordinal);
        return a >= 0 && b > a ? line[(a + 1)..b] : "";
    }

    public void Dispose()
    {
        _listener.Stop();
        try { _loop.Wait(TimeSpan.FromSeconds(5)); } catch (AggregateException) { }
    }
}
