using System.Net;

namespace Siem.Collectors.Sources;

/// <summary>Options of <see cref="SyslogSource"/>.</summary>
public sealed record SyslogOptions
{
    /// <summary>UDP listen addresses (one datagram = one message). Port 0 picks a free port (see <see cref="SyslogSource.UdpEndpoints"/>).</summary>
    public IReadOnlyList<IPEndPoint> Udp { get; init; } = [];

    /// <summary>TCP listen addresses; framing (RFC 6587 octet counting, or LF/NUL delimited) is recognised per message.</summary>
    public IReadOnlyList<IPEndPoint> Tcp { get; init; } = [];

    /// <summary>
    /// PEM file with the server certificate. When set, every TCP listener speaks TLS (RFC 5425); the private key is
    /// read from <see cref="TlsKeyPath"/>, or from this file when that is null.
    /// </summary>
    public string? TlsCertificatePath { get; init; }

    /// <summary>PEM file with the certificate's private key (keep it mode 0600).</summary>
    public string? TlsKeyPath { get; init; }

    /// <summary>Longest message kept (default 64 KiB); a longer one keeps its first part, flagged <see cref="RawLine.Truncated"/>.</summary>
    public int MaxMessageBytes { get; init; } = 64 * 1024;

    /// <summary>
    /// Messages held between the listeners and the reader (default 10,000). When it is full, TCP connections stop being
    /// read (the sender is slowed down by TCP flow control) and UDP datagrams wait in the kernel's socket buffer; once
    /// that is full too the kernel drops datagrams (UDP has no flow control: it is lossy by nature; see the kernel's
    /// Udp RcvbufErrors counter). Nothing is dropped by this source itself.
    /// </summary>
    public int QueueCapacity { get; init; } = 10_000;

    /// <summary>Simultaneous TCP connections (default 1,000); further connections are closed at once and counted as errors.</summary>
    public int MaxConnections { get; init; } = 1000;

    /// <summary>Time a TLS client gets to finish its handshake (default 10 s).</summary>
    public TimeSpan TlsHandshakeTimeout { get; init; } = TimeSpan.FromSeconds(10);
}
