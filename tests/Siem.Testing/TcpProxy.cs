using System.Net;
using System.Net.Sockets;

namespace Siem.Testing;

/// <summary>
/// A loopback TCP proxy for fault injection: forwards every accepted connection to a target port, and on request cuts
/// every connection (optionally after exactly N more server→client bytes, so the cut lands mid-frame) or pauses
/// forwarding in both directions (data is held, not dropped, until <see cref="Resume"/>).
/// </summary>
public sealed class TcpProxy : IAsyncDisposable
{
    private readonly TcpListener _listener;
    private readonly int _targetPort;
    private readonly CancellationTokenSource _cts = new();
    private readonly List<Pair> _pairs = [];
    private readonly Lock _lock = new();
    private readonly Task _acceptLoop;
    private volatile TaskCompletionSource _resumed;
    private long _cutAfterServerBytes = -1;
    private int _accepted;

    private TcpProxy(int targetPort)
    {
        _targetPort = targetPort;
        _listener = new TcpListener(IPAddress.Loopback, 0);
        _listener.Start();
        _resumed = Completed();
        _acceptLoop = Task.Run(AcceptLoopAsync);
    }

    public static TcpProxy Start(int targetPort) => new(targetPort);

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;
    public string Url => $"nats://127.0.0.1:{Port}";

    /// <summary>Connections accepted so far (a reconnecting client shows up as a new one).</summary>
    public int AcceptedConnections => Volatile.Read(ref _accepted);

    /// <summary>Bytes forwarded server→client over all connections.</summary>
    public long ServerToClientBytes => Interlocked.Read(ref _serverToClient);

    private long _serverToClient;

    /// <summary>Resets every open connection now (RST, both sides).</summary>
    public void CutAll()
    {
        Pair[] pairs;
        lock (_lock)
        {
            pairs = [.. _pairs];
            _pairs.Clear();
        }
        foreach (var p in pairs) p.Cut();
    }

    /// <summary>Forwards exactly <paramref name="bytes"/> more server→client bytes, then cuts every connection —
    /// the client sees a frame that stops half way.</summary>
    public void CutAfterServerBytes(long bytes) => Interlocked.Exchange(ref _cutAfterServerBytes, bytes);

    /// <summary>Stops forwarding in both directions; data already read is held until <see cref="Resume"/>.</summary>
    public void Pause()
    {
        lock (_lock)
        {
            if (_resumed.Task.IsCompleted) _resumed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }
    }

    public void Resume() => _resumed.TrySetResult();

    private static TaskCompletionSource Completed()
    {
        var t = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        t.SetResult();
        return t;
    }

    private async Task AcceptLoopAsync()
    {
        while (!_cts.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await _listener.AcceptSocketAsync(_cts.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }
            Interlocked.Increment(ref _accepted);
            var server = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                await server.ConnectAsync(IPAddress.Loopback, _targetPort, _cts.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException)
            {
                client.Dispose();
                server.Dispose();
                continue;
            }
            client.NoDelay = true;
            var pair = new Pair(client, server);
            lock (_lock) _pairs.Add(pair);
            _ = PumpAsync(pair, client, server, serverToClient: false);
            _ = PumpAsync(pair, server, client, serverToClient: true);
        }
    }

    private async Task PumpAsync(Pair pair, Socket from, Socket to, bool serverToClient)
    {
        var buffer = new byte[16 * 1024];
        try
        {
            while (true)
            {
                int n = await from.ReceiveAsync(buffer, SocketFlags.None, _cts.Token);
                if (n == 0) break;
                await _resumed.Task.WaitAsync(_cts.Token);
                int forward = n;
                bool cut = false;
                if (serverToClient)
                {
                    long budget = Interlocked.Read(ref _cutAfterServerBytes);
                    if (budget >= 0 && budget <= n)
                    {
                        forward = (int)budget;
                        cut = Interlocked.CompareExchange(ref _cutAfterServerBytes, -1, budget) == budget;
                    }
                    else if (budget > n)
                    {
                        Interlocked.Add(ref _cutAfterServerBytes, -n);
                    }
                }
                if (forward > 0) await to.SendAsync(buffer.AsMemory(0, forward), SocketFlags.None, _cts.Token);
                if (serverToClient) Interlocked.Add(ref _serverToClient, forward);
                if (cut)
                {
                    CutAll();
                    return;
                }
            }
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }
        pair.Cut();
        lock (_lock) _pairs.Remove(pair);
    }

    public async ValueTask DisposeAsync()
    {
        await _cts.CancelAsync();
        _listener.Stop();
        CutAll();
        try
        {
            await _acceptLoop;
        }
        catch (OperationCanceledException)
        {
        }
        _cts.Dispose();
    }

    private sealed class Pair(Socket client, Socket server)
    {
        private int _cut;

        public void Cut()
        {
            if (Interlocked.Exchange(ref _cut, 1) != 0) return;
            foreach (var s in new[] { client, server })
            {
                try
                {
                    s.LingerState = new LingerOption(true, 0); // RST, like a dropped link
                    s.Close();
                }
                catch (Exception e) when (e is SocketException or ObjectDisposedException)
                {
                }
            }
        }
    }
}
