using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Siem.Collectors.Sources;

public sealed partial class SyslogSource
{
    private const int MaxDatagram = 65_535;

    /// <param name="local">The bound address, read before the loop starts: a source disposed before the loop ran has
    /// closed the socket, and reading it then would throw.</param>
    private async Task ReceiveUdpAsync(Socket socket, IPEndPoint local, CancellationToken cancellationToken)
    {
        var buffer = new byte[MaxDatagram];
        var sourceKey = "syslog:udp:" + local.Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        EndPoint any = new IPEndPoint(socket.AddressFamily == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Any : IPAddress.Any, 0);
        while (!cancellationToken.IsCancellationRequested)
        {
            SocketReceiveFromResult received;
            try
            {
                received = await socket.ReceiveFromAsync(buffer, SocketFlags.None, any, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (ObjectDisposedException)
            {
                return;
            }
            catch (SocketException e)
            {
                // e.g. ICMP port unreachable reported on a later receive; the socket itself is fine.
                RecordError($"UDP {local}: {e.Message}");
                continue;
            }

            var message = buffer.AsSpan(0, received.ReceivedBytes);
            while (!message.IsEmpty && message[^1] is (byte)'\n' or (byte)'\r' or 0)
            {
                message = message[..^1];
            }

            var truncated = message.Length > _options.MaxMessageBytes;
            if (truncated)
            {
                message = message[.._options.MaxMessageBytes];
            }

            if (message.IsEmpty)
            {
                continue;
            }

            var line = NewLine(sourceKey, received.RemoteEndPoint.ToString()!, Encoding.UTF8.GetString(message), received.ReceivedBytes, truncated, !System.Text.Unicode.Utf8.IsValid(message));
            try
            {
                // Waits when the queue is full (backpressure); meanwhile datagrams queue in the kernel.
                await _queue.Writer.WriteAsync(line, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }
}
