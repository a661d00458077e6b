using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Security.Cryptography.X509Certificates;
using System.Threading.Channels;

namespace Siem.Collectors.Sources;

/// <summary>
/// Receives syslog over UDP and TCP (optionally TLS) and yields one <see cref="RawLine"/> per message, with the sender in
/// <see cref="RawLine.Peer"/>. Only framing happens here; the syslog header is parsed by the parsers.
/// <para>
/// Commit is a no-op: a network sender cannot be asked to send again. UDP is lossy by nature; TCP loses what was
/// received but not yet shipped if the agent dies. Offsets are a sequence that starts at the start time in
/// milliseconds × 2^20, so record ids derived from them stay unique across agent restarts.
/// </para>
/// </summary>
public sealed partial class SyslogSource : ILogSource
{
    private readonly SyslogOptions _options;
    private readonly Channel<RawLine> _queue;
    private readonly CancellationTokenSource _stopping = new();
    private readonly List<Task> _loops = [];
    private readonly List<Socket> _udpSockets = [];
    private readonly List<TcpListener> _tcpListeners = [];
    private readonly long _sequenceBase = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() << 20;
    private X509Certificate2? _certificate;
    private long _sequence;
    private int _started;

    public SyslogSource(SyslogOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.MaxMessageBytes, 16);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.QueueCapacity, 1);
        if (options.Udp.Count == 0 && options.Tcp.Count == 0)
        {
            throw new ArgumentException("The syslog source needs at least one UDP or TCP listen address.", nameof(options));
        }

        _options = options;
        _queue = Channel.CreateBounded<RawLine>(new BoundedChannelOptions(options.QueueCapacity)
        {
            FullMode = BoundedChannelFullMode.Wait,
            SingleReader = true,
        });
        Name = "syslog:" + string.Join(',', options.Udp.Select(e => "udp/" + e).Concat(options.Tcp.Select(e => (options.TlsCertificatePath is null ? "tcp/" : "tls/") + e)));
        Stats = new SourceStats(Name);
    }

    public string Name { get; }

    public SourceStats Stats { get; }

    /// <summary>Last error (message only, no payload); counted in <see cref="SourceStats.Errors"/>.</summary>
    public string? LastError { get; private set; }

    /// <summary>Bound UDP addresses (real ports when 0 was asked for). Valid after <see cref="Start"/>.</summary>
    public IReadOnlyList<IPEndPoint> UdpEndpoints => [.. _udpSockets.Select(s => (IPEndPoint)s.LocalEndPoint!)];

    /// <summary>Bound TCP addresses. Valid after <see cref="Start"/>.</summary>
    public IReadOnlyList<IPEndPoint> TcpEndpoints => [.. _tcpListeners.Select(l => (IPEndPoint)l.LocalEndpoint)];

    /// <summary>
    /// Binds the listeners and starts receiving. Called by <see cref="ReadAsync"/>; call it earlier to learn the ports or
    /// to fail fast on a port in use. Throws with the address when a bind fails.
    /// </summary>
    public void Start()
    {
        if (Interlocked.Exchange(ref _started, 1) != 0)
        {
            return;
        }

        if (_options.TlsCertificatePath is { } certificatePath)
        {
            _certificate = LoadCertificate(certificatePath, _options.TlsKeyPath);
        }

        foreach (var endpoint in _options.Udp)
        {
            var socket = new Socket(endpoint.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
            Bind(() => socket.Bind(endpoint), "UDP", endpoint, socket);
            _udpSockets.Add(socket);
            var local = (IPEndPoint)socket.LocalEndPoint!;
            _loops.Add(Task.Run(() => ReceiveUdpAsync(socket, local, _stopping.Token)));
        }

        foreach (var endpoint in _options.Tcp)
        {
            var listener = new TcpListener(endpoint);
            Bind(() => listener.Start(), "TCP", endpoint, null);
            _tcpListeners.Add(listener);
            _loops.Add(Task.Run(() => AcceptTcpAsync(listener, _stopping.Token)));
        }
    }

    public async IAsyncEnumerable<RawLine> ReadAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        Start();
        await foreach (var line in _queue.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
        {
            yield return line;
        }
    }

    /// <summary>No-op: there is nothing to resume from (see the type's remarks).</summary>
    public ValueTask CommitAsync(RawLine upTo, CancellationToken cancellationToken = default) => ValueTask.CompletedTask;

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        foreach (var socket in _udpSockets)
        {
            socket.Dispose();
        }

        foreach (var listener in _tcpListeners)
        {
            listener.Stop();
        }

        try
        {
            await Task.WhenAll(_loops).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // stopping
        }

        _queue.Writer.TryComplete();
        _certificate?.Dispose();
        _stopping.Dispose();
    }

    private static X509Certificate2 LoadCertificate(string certificatePath, string? keyPath)
    {
        try
        {
            return X509Certificate2.CreateFromPemFile(certificatePath, keyPath);
        }
        catch (Exception e) when (e is System.Security.Cryptography.CryptographicException or IOException or ArgumentException)
        {
            throw new InvalidOperationException(
                $"Syslog TLS: cannot load the server certificate from '{certificatePath}'{(keyPath is null ? string.Empty : $" with key '{keyPath}'")}: {e.Message}. The file must hold a PEM certificate and a PEM private key.",
                e);
        }
    }

    private static void Bind(Action bind, string protocol, IPEndPoint endpoint, Socket? socket)
    {
        try
        {
            bind();
        }
        catch (SocketException e)
        {
            socket?.Dispose();
            throw new InvalidOperationException($"Syslog: cannot listen on {protocol} {endpoint}: {e.Message}.", e);
        }
    }

    private RawLine NewLine(string sourceKey, string peer, string text, int byteCount, bool truncated, bool invalidUtf8)
    {
        var offset = _sequenceBase + Interlocked.Increment(ref _sequence) - 1;
        Stats.AddLine(byteCount, truncated, invalidUtf8);
        return new RawLine("syslog", sourceKey, offset, offset + 1, text, Peer: peer)
        {
            Truncated = truncated,
            InvalidUtf8 = invalidUtf8,
        };
    }

    private void RecordError(string message)
    {
        Stats.AddError();
        LastError = message;
    }
}
