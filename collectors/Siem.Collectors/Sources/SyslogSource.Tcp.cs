using System.Net.Security;
using System.Net.Sockets;
using Siem.Collectors.Sources.Internal;

namespace Siem.Collectors.Sources;

public sealed partial class SyslogSource
{
    private const int ReadBufferBytes = 16 * 1024;
    private int _connections;

    private async Task AcceptTcpAsync(TcpListener listener, CancellationToken cancellationToken)
    {
        var connections = new List<Task>();
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                Socket client;
                try
                {
                    client = await listener.AcceptSocketAsync(cancellationToken).ConfigureAwait(false);
                }
                catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException)
                {
                    return;
                }
                catch (SocketException e)
                {
                    RecordError($"TCP accept on {listener.LocalEndpoint}: {e.Message}");
                    continue;
                }

                if (Interlocked.Increment(ref _connections) > _options.MaxConnections)
                {
                    Interlocked.Decrement(ref _connections);
                    RecordError($"TCP {listener.LocalEndpoint}: refused {client.RemoteEndPoint}, already {_options.MaxConnections} connections.");
                    client.Dispose();
                    continue;
                }

                connections.RemoveAll(t => t.IsCompleted);
                connections.Add(Task.Run(() => ServeConnectionAsync(client, cancellationToken), CancellationToken.None));
            }
        }
        finally
        {
            await Task.WhenAll(connections).ConfigureAwait(false);
        }
    }

    private async Task ServeConnectionAsync(Socket client, CancellationToken cancellationToken)
    {
        var peer = client.RemoteEndPoint?.ToString() ?? "unknown";
        var sourceKey = "syslog:tcp:" + peer;
        var frames = new List<SyslogFrame>();
        using var decoder = new SyslogFrameDecoder(_options.MaxMessageBytes);
        Stream? stream = null;
        try
        {
            stream = new NetworkStream(client, ownsSocket: true);
            if (_certificate is not null)
            {
                stream = await AuthenticateAsync(stream, cancellationToken).ConfigureAwait(false);
            }

            var buffer = new byte[ReadBufferBytes];
            int read;
            while ((read = await stream.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
            {
                decoder.Push(buffer.AsSpan(0, read), frames);
                await EnqueueAsync(frames, sourceKey, peer, cancellationToken).ConfigureAwait(false);
            }

            decoder.Complete(frames);
            await EnqueueAsync(frames, sourceKey, peer, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // stopping
        }
        catch (Exception e) when (e is IOException or SocketException or System.Security.Authentication.AuthenticationException or ObjectDisposedException)
        {
            RecordError($"TCP peer {peer}: {e.Message}");
        }
        finally
        {
            if (stream is not null)
            {
                await stream.DisposeAsync().ConfigureAwait(false);
            }
            else
            {
                client.Dispose();
            }

            Interlocked.Decrement(ref _connections);
        }
    }

    private async Task<Stream> AuthenticateAsync(Stream stream, CancellationToken cancellationToken)
    {
        var tls = new SslStream(stream, leaveInnerStreamOpen: false);
        using var handshake = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        handshake.CancelAfter(_options.TlsHandshakeTimeout);
        try
        {
            await tls.AuthenticateAsServerAsync(
                new SslServerAuthenticationOptions { ServerCertificate = _certificate, ClientCertificateRequired = false },
                handshake.Token).ConfigureAwait(false);
            return tls;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            await tls.DisposeAsync().ConfigureAwait(false);
            throw new IOException($"TLS handshake not finished within {_options.TlsHandshakeTimeout.TotalSeconds:0.#} s.");
        }
        catch
        {
            await tls.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private async ValueTask EnqueueAsync(List<SyslogFrame> frames, string sourceKey, string peer, CancellationToken cancellationToken)
    {
        foreach (var frame in frames)
        {
            if (frame.Text.Length == 0 && !frame.Truncated)
            {
                continue;
            }

            // Waits when the queue is full: we stop reading this connection and TCP slows the sender down.
            await _queue.Writer.WriteAsync(NewLine(sourceKey, peer, frame.Text, frame.ByteCount, frame.Truncated, frame.InvalidUtf8), cancellationToken).ConfigureAwait(false);
        }

        frames.Clear();
    }
}
