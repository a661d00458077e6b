using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Siem.Host.Infrastructure;

/// <summary>
/// A private nats-server with JetStream on a free loopback port, for <c>siem bench</c> and <c>siem demo</c>.
/// Started with <c>-js -sd &lt;store&gt;</c>, stopped by its PID (SIGTERM, then SIGKILL after a grace period); a
/// temporary store directory is deleted on dispose, a caller-given one is kept.
/// </summary>
internal sealed class LocalNatsServer : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _log;
    private readonly bool _ownsStore;

    private LocalNatsServer(Process process, StringBuilder log, int port, string storeDir, bool ownsStore)
    {
        _process = process;
        _log = log;
        Port = port;
        StoreDir = storeDir;
        _ownsStore = ownsStore;
    }

    public int Port { get; }
    public string StoreDir { get; }
    public string Url => $"nats://127.0.0.1:{Port}";
    public int Pid => _process.Id;

    /// <summary>Everything the server printed so far (for error reports).</summary>
    public string Log
    {
        get { lock (_log) return _log.ToString(); }
    }

    /// <summary>Starts the server and waits until JetStream is ready (at most <paramref name="readyTimeout"/>, default 15 s).</summary>
    /// <param name="storeDir">JetStream store to use and keep; null = a fresh temporary directory, deleted on dispose.</param>
    /// <param name="port">0 = a free port.</param>
    public static async Task<LocalNatsServer> StartAsync(string? storeDir = null, int port = 0, TimeSpan? readyTimeout = null, CancellationToken cancellationToken = default)
    {
        var binary = FindBinary();
        bool ownsStore = storeDir is null;
        storeDir ??= Directory.CreateTempSubdirectory("siem-nats-").FullName;
        Directory.CreateDirectory(storeDir);
        if (port == 0) port = FreePort();
        var psi = new ProcessStartInfo(binary)
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        foreach (var a in new[] { "-a", "127.0.0.1", "-p", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "-js", "-sd", storeDir })
            psi.ArgumentList.Add(a);
        var log = new StringBuilder();
        var process = new Process { StartInfo = psi };
        process.OutputDataReceived += (_, e) => Append(log, e.Data);
        process.ErrorDataReceived += (_, e) => Append(log, e.Data);
        if (!process.Start()) throw new InvalidOperationException($"could not start {binary}");
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var server = new LocalNatsServer(process, log, port, storeDir, ownsStore);
        try
        {
            await server.WaitReadyAsync(readyTimeout ?? TimeSpan.FromSeconds(15), cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await server.DisposeAsync().ConfigureAwait(false);
            throw;
        }
        return server;
    }

    /// <summary>$NATS_SERVER_BIN, then /usr/sbin, /usr/bin, /usr/local/bin, then PATH.</summary>
    public static string FindBinary()
    {
        var fromEnv = Environment.GetEnvironmentVariable("NATS_SERVER_BIN");
        if (!string.IsNullOrEmpty(fromEnv))
        {
            if (File.Exists(fromEnv)) return fromEnv;
            throw new FileNotFoundException($"NATS_SERVER_BIN points to '{fromEnv}', which does not exist");
        }
        var dirs = new[] { "/usr/sbin", "/usr/bin", "/usr/local/bin" }
            .Concat((Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries));
        foreach (var dir in dirs)
        {
            var candidate = Path.Combine(dir, "nats-server");
            if (File.Exists(candidate)) return candidate;
        }
        throw new FileNotFoundException(
            "nats-server was not found ($NATS_SERVER_BIN, /usr/sbin, /usr/bin, /usr/local/bin, PATH). " +
            "Install it with `apt-get install -y nats-server`, or set NATS_SERVER_BIN to its path.");
    }

    private async Task WaitReadyAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (_process.HasExited)
                throw new InvalidOperationException($"nats-server exited with code {_process.ExitCode} while starting on port {Port}:\n{Log}");
            // The port opens before JetStream has recovered its store; the log line comes after both.
            if (Log.Contains("Server is ready", StringComparison.Ordinal) && await PortOpenAsync().ConfigureAwait(false)) return;
            await Task.Delay(25, cancellationToken).ConfigureAwait(false);
        }
        throw new TimeoutException($"nats-server (pid {Pid}) was not ready on port {Port} within {timeout.TotalSeconds:0} s:\n{Log}");
    }

    private async Task<bool> PortOpenAsync()
    {
        try
        {
            using var client = new TcpClient();
            await client.ConnectAsync(IPAddress.Loopback, Port).ConfigureAwait(false);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    /// <summary>SIGTERM (the server flushes its store), SIGKILL after 5 s; then deletes a temporary store.</summary>
    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            await TerminateAsync(_process.Id).ConfigureAwait(false);
            using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            try
            {
                await _process.WaitForExitAsync(grace.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                _process.Kill();
                await _process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
            }
        }
        _process.Dispose();
        if (_ownsStore)
        {
            try
            {
                Directory.Delete(StoreDir, recursive: true);
            }
            catch (IOException)
            {
                // A leftover temp dir is harmless; the OS cleans /tmp.
            }
        }
    }

    private static void Append(StringBuilder log, string? line)
    {
        if (line is null) return;
        lock (log) log.AppendLine(line);
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>SIGTERM lets nats-server flush and close its store; .NET's Process.Kill only sends SIGKILL.</summary>
    private static async Task TerminateAsync(int pid)
    {
        try
        {
            using var kill = Process.Start(new ProcessStartInfo("kill", ["-TERM", pid.ToString(System.Globalization.CultureInfo.InvariantCulture)]) { UseShellExecute = false });
            if (kill is not null) await kill.WaitForExitAsync().ConfigureAwait(false);
        }
        catch (System.ComponentModel.Win32Exception)
        {
            // No `kill` binary: the SIGKILL fallback below still stops the server.
        }
    }
}
