using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Siem.Testing;

/// <summary>
/// A real nats-server on a free loopback port with JetStream and a temporary store, started and
/// stopped by PID. A missing binary is a failure with instructions, never a skip.
/// </summary>
public sealed class NatsServer : IAsyncDisposable
{
    private readonly string _extraConfig;
    private Process? _process;
    private readonly StringBuilder _log = new();

    public int Port { get; }
    public string StoreDir { get; }
    public string WorkDir { get; }
    public string Url => $"nats://127.0.0.1:{Port}";
    public int Pid => _process?.Id ?? 0;
    public string Log { get { lock (_log) { return _log.ToString(); } } }

    private NatsServer(string extraConfig, int port)
    {
        _extraConfig = extraConfig;
        Port = port == 0 ? FreePort() : port;
        WorkDir = Directory.CreateTempSubdirectory("siem-nats-").FullName;
        StoreDir = Path.Combine(WorkDir, "js");
    }

    /// <summary>Starts a server. <paramref name="extraConfig"/> is appended to the generated config file
    /// (authorization blocks, tls, cluster, limits such as <c>max_payload</c>).</summary>
    public static async Task<NatsServer> StartAsync(string extraConfig = "", int port = 0, bool jetStream = true)
    {
        var server = new NatsServer(extraConfig, port) { _noJetStream = !jetStream };
        await server.StartProcessAsync();
        return server;
    }

    private bool _noJetStream;

    public static string FindBinary()
    {
        foreach (var candidate in new[] { Environment.GetEnvironmentVariable("NATS_SERVER_BIN"), "/usr/sbin/nats-server", "/usr/bin/nats-server", "/usr/local/bin/nats-server" })
        {
            if (!string.IsNullOrEmpty(candidate) && File.Exists(candidate)) return candidate;
        }
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            var p = Path.Combine(dir, "nats-server");
            if (File.Exists(p)) return p;
        }
        throw new InvalidOperationException(
            "nats-server was not found (looked in $NATS_SERVER_BIN, /usr/sbin, /usr/bin, /usr/local/bin and PATH). " +
            "Install it with `apt-get install -y nats-server` (./test.sh does this) — integration tests need a real server.");
    }

    private async Task StartProcessAsync()
    {
        var conf = Path.Combine(WorkDir, "server.conf");
        var js = _noJetStream ? "" : $"jetstream {{ store_dir: \"{StoreDir}\" }}\n";
        await File.WriteAllTextAsync(conf, $"listen: 127.0.0.1:{Port}\n{js}{_extraConfig}\n");
        var psi = new ProcessStartInfo(FindBinary(), $"-c {conf}")
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        var p = new Process { StartInfo = psi };
        p.OutputDataReceived += (_, e) => { if (e.Data != null) lock (_log) _log.AppendLine(e.Data); };
        p.ErrorDataReceived += (_, e) => { if (e.Data != null) lock (_log) _log.AppendLine(e.Data); };
        p.Start();
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        _process = p;
        await WaitReadyAsync();
    }

    private async Task WaitReadyAsync()
    {
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (DateTime.UtcNow < deadline)
        {
            if (_process!.HasExited)
                throw new InvalidOperationException($"nats-server exited with code {_process.ExitCode}:\n{Log}");
            try
            {
                using var c = new TcpClient();
                await c.ConnectAsync(IPAddress.Loopback, Port);
                // The server accepts connections before JetStream has recovered its store; wait for the log line.
                if (_noJetStream || Log.Contains("Server is ready", StringComparison.Ordinal)) return;
            }
            catch (SocketException)
            {
            }
            await Task.Delay(50);
        }
        throw new TimeoutException($"nats-server did not become ready on port {Port}:\n{Log}");
    }

    /// <summary>kill -9: the store stays on disk, nothing is flushed gracefully.</summary>
    public void Kill()
    {
        if (_process is { HasExited: false })
        {
            _process.Kill(entireProcessTree: false);
            _process.WaitForExit(10_000);
        }
    }

    /// <summary>Starts the server again on the same port with the same store.</summary>
    public async Task RestartAsync()
    {
        Kill();
        lock (_log) _log.Clear();
        await StartProcessAsync();
    }

    public async ValueTask DisposeAsync()
    {
        Kill();
        _process?.Dispose();
        await Task.Yield();
        try { Directory.Delete(WorkDir, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    public static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }
}
