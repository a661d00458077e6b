using System.Buffers;
using System.IO.Pipelines;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using Siem.Nats.Internal;

namespace Siem.Nats;

public sealed partial class NatsConnection
{
    private const int ReadBufferSize = 64 * 1024;

    /// <summary>TCP connect, INFO, optional TLS upgrade, CONNECT + PING, wait for PONG (or -ERR), re-send subscriptions.
    /// Everything within <see cref="NatsOpts.ConnectTimeout"/>.</summary>
    private async Task<Transport> ConnectOnceAsync(ServerAddress server, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _disposeCts.Token);
        timeout.CancelAfter(Opts.ConnectTimeout);
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        Stream? stream = null;
        PipeReader? reader = null;
        try
        {
            await socket.ConnectAsync(server.Host, server.Port, timeout.Token);
            stream = new NetworkStream(socket, ownsSocket: false);
            reader = PipeReader.Create(stream, new StreamPipeReaderOptions(bufferSize: ReadBufferSize, leaveOpen: true));
            var info = await ReadInfoAsync(reader, server, timeout.Token);
            bool tls = server.Tls || info.TlsRequired || Opts.TlsCaFile is not null || Opts.TlsCertFile is not null;
            if (tls)
            {
                await reader.CompleteAsync();
                var ssl = new SslStream(stream, leaveInnerStreamOpen: false);
                stream = ssl;
                await ssl.AuthenticateAsClientAsync(BuildTlsOptions(server), timeout.Token);
                reader = PipeReader.Create(ssl, new StreamPipeReaderOptions(bufferSize: ReadBufferSize, leaveOpen: true));
            }
            var hello = new ArrayBufferWriter<byte>(512);
            ProtocolWriter.WriteConnect(hello, ConnectJson.Build(Opts, info, tls));
            ProtocolWriter.WritePing(hello);
            await stream.WriteAsync(hello.WrittenMemory, timeout.Token);
            await stream.FlushAsync(timeout.Token);
            await WaitForPongAsync(reader, stream, server, timeout.Token);

            var subs = new ArrayBufferWriter<byte>(1024);
            foreach (var sub in _subs.Values)
            {
                ProtocolWriter.WriteSub(subs, sub.Subject, sub.QueueGroup, sub.Sid);
                if (sub.MaxMsgs > 0) ProtocolWriter.WriteUnsub(subs, sub.Sid, Math.Max(1, sub.MaxMsgs - sub.Delivered));
            }
            if (subs.WrittenCount > 0)
            {
                await stream.WriteAsync(subs.WrittenMemory, timeout.Token);
                await stream.FlushAsync(timeout.Token);
            }
            _serverInfo = info;
            AddConnectUrls(info, server.Tls);
            return new Transport(socket, stream, reader, server);
        }
        catch (Exception e)
        {
            if (reader is not null) await reader.CompleteAsync();
            if (stream is not null) await stream.DisposeAsync();
            socket.Dispose();
            if (e is NatsException) throw;
            if (e is OperationCanceledException && !cancellationToken.IsCancellationRequested && !_disposeCts.IsCancellationRequested)
                throw new NatsConnectionException($"{server}: no connection within {Opts.ConnectTimeout.TotalSeconds:0.###} s (ConnectTimeout)", e);
            if (e is OperationCanceledException) throw;
            if (e is SocketException or IOException or AuthenticationException or CryptographicException or ObjectDisposedException)
                throw new NatsConnectionException($"{server}: {e.Message}", e);
            throw;
        }
    }

    private SslClientAuthenticationOptions BuildTlsOptions(ServerAddress server)
    {
        var options = new SslClientAuthenticationOptions { TargetHost = server.Host };
        try
        {
            if (Opts.TlsCaFile is not null)
            {
                var ca = new X509Certificate2Collection();
                ca.ImportFromPemFile(Opts.TlsCaFile);
                var policy = new X509ChainPolicy
                {
                    TrustMode = X509ChainTrustMode.CustomRootTrust,
                    RevocationMode = X509RevocationMode.NoCheck,
                };
                policy.CustomTrustStore.AddRange(ca);
                options.CertificateChainPolicy = policy;
            }
            if (Opts.TlsCertFile is not null)
            {
                if (Opts.TlsKeyFile is null) throw new NatsConnectionException($"TlsCertFile '{Opts.TlsCertFile}' is set but TlsKeyFile is not; mutual TLS needs both");
                using var pem = X509Certificate2.CreateFromPemFile(Opts.TlsCertFile, Opts.TlsKeyFile);
                // Re-import so the private key is usable by SslStream on every platform.
                var cert = X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), null);
                options.ClientCertificates = [cert];
            }
        }
        catch (Exception e) when (e is CryptographicException or IOException or UnauthorizedAccessException)
        {
            throw new NatsConnectionException($"cannot load TLS files (ca '{Opts.TlsCaFile}', cert '{Opts.TlsCertFile}', key '{Opts.TlsKeyFile}'): {e.Message}", e);
        }
        return options;
    }

    private static async Task<NatsServerInfo> ReadInfoAsync(PipeReader reader, ServerAddress server, CancellationToken cancellationToken)
    {
        while (true)
        {
            var result = await reader.ReadAsync(cancellationToken);
            var buffer = result.Buffer;
            var handler = new HandshakeHandler();
            bool parsed = ProtocolParser.TryParse(ref buffer, ref handler);
            reader.AdvanceTo(buffer.Start, result.Buffer.End);
            if (parsed)
            {
                if (handler.Info is null) throw new NatsProtocolException($"{server}: expected INFO as the first operation");
                return handler.Info;
            }
            if (result.IsCompleted) throw new NatsConnectionException($"{server}: closed the connection before sending INFO");
        }
    }

    private static async Task WaitForPongAsync(PipeReader reader, Stream stream, ServerAddress server, CancellationToken cancellationToken)
    {
        while (true)
        {
            var result = await reader.ReadAsync(cancellationToken);
            var buffer = result.Buffer;
            var handler = new HandshakeHandler();
            while (handler.Error is null && !handler.Pong && ProtocolParser.TryParse(ref buffer, ref handler))
            {
            }
            reader.AdvanceTo(buffer.Start, result.Buffer.End);
            if (handler.Error is { } err)
            {
                if (IsAuthError(err)) throw new NatsAuthorizationException($"{server}: server rejected the credentials: '{err}'");
                throw new NatsServerErrorException(err, $"{server} during CONNECT");
            }
            if (handler.Pings > 0)
            {
                await stream.WriteAsync("PONG\r\n"u8.ToArray(), cancellationToken);
            }
            if (handler.Pong) return;
            if (result.IsCompleted) throw new NatsConnectionException($"{server}: closed the connection during CONNECT (check credentials and TLS settings)");
        }
    }

    internal static bool IsAuthError(string err) =>
        err.Contains("Authorization Violation", StringComparison.OrdinalIgnoreCase)
        || err.Contains("Authentication", StringComparison.OrdinalIgnoreCase)
        || err.Contains("Permissions Violation", StringComparison.OrdinalIgnoreCase)
        || err.Contains("User Authentication Expired", StringComparison.OrdinalIgnoreCase);

    internal static NatsServerInfo ParseInfo(ReadOnlySpan<byte> json)
    {
        try
        {
            return JsonSerializer.Deserialize(json, JetStream.Internal.JetStreamJson.Default.NatsServerInfo) ?? throw new NatsProtocolException("INFO is JSON null");
        }
        catch (JsonException e)
        {
            throw new NatsProtocolException($"INFO is not valid JSON: {e.Message}: '{Encoding.UTF8.GetString(json[..Math.Min(json.Length, 200)])}'", e);
        }
    }

    private void AddConnectUrls(NatsServerInfo info, bool tls)
    {
        lock (_poolLock)
        {
            foreach (var url in info.ConnectUrls)
            {
                ServerAddress address;
                try
                {
                    address = ServerAddress.Parse((tls ? "tls://" : "nats://") + url);
                }
                catch (ArgumentException)
                {
                    continue;
                }
                if (!_pool.Contains(address)) _pool.Add(address);
            }
        }
    }

    /// <summary>Collects what the handshake needs: INFO, PONG, -ERR, PINGs to answer.</summary>
    private struct HandshakeHandler : IServerOpHandler
    {
        public NatsServerInfo? Info;
        public bool Pong;
        public string? Error;
        public int Pings;

        public void OnMsg(ReadOnlySpan<byte> subject, long sid, ReadOnlySpan<byte> replyTo, in ReadOnlySequence<byte> headers, in ReadOnlySequence<byte> payload) =>
            throw new NatsProtocolException("server sent a message before the handshake finished");

        public void OnInfo(ReadOnlySpan<byte> json) => Info = ParseInfo(json);

        public void OnPing() => Pings++;

        public void OnPong() => Pong = true;

        public readonly void OnOk()
        {
        }

        public void OnErr(ReadOnlySpan<byte> text) => Error = Encoding.UTF8.GetString(text);
    }
}
