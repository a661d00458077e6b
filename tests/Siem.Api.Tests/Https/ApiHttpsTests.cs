using System.Net;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Siem.Api.Https;
using Siem.Host.Certs;
using Siem.Testing;

namespace Siem.Api.Tests.Https;

public sealed class ApiHttpsTests : IDisposable
{
    private readonly PkiLayout _pki = new(Directory.CreateTempSubdirectory("siem-api-tls-").FullName);

    public ApiHttpsTests() => new PkiInitializer(_pki).Run(["localhost", "127.0.0.1"], [new AgentName("acme", "web-01")]);

    private static CancellationToken Timeout() => new CancellationTokenSource(TimeSpan.FromSeconds(20)).Token;

    private static async Task<WebApplication> StartAsync(string address, ApiHttpsOptions? https)
    {
        var builder = WebApplication.CreateSlimBuilder();
        ApiListener.Configure(address, https)(builder);
        var app = builder.Build();
        app.MapGet("/api/health", (HttpContext c) => c.Connection.ClientCertificate?.Subject ?? "ok");
        await app.StartAsync(Timeout());
        return app;
    }

    /// <summary>A client that trusts only our private CA, optionally presenting a client certificate.</summary>
    private HttpClient Client(X509Certificate2? clientCert = null)
    {
        var ca = X509CertificateLoader.LoadCertificateFromFile(_pki.CaCert);
        var handler = new SocketsHttpHandler
        {
            SslOptions = new SslClientAuthenticationOptions
            {
                ClientCertificates = clientCert is null ? null : [clientCert],
                CertificateChainPolicy = new X509ChainPolicy { TrustMode = X509ChainTrustMode.CustomRootTrust, CustomTrustStore = { ca }, RevocationMode = X509RevocationMode.NoCheck },
            },
        };
        return new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(15) };
    }

    [Fact]
    public async Task With_the_certificate_from_certs_init_the_API_serves_HTTPS_that_a_client_trusting_the_private_CA_accepts()
    {
        int port = NatsServer.FreePort();
        var https = new ApiHttpsOptions { CertFile = _pki.ApiCert, KeyFile = _pki.ApiKey };
        await using var app = await StartAsync($"127.0.0.1:{port}", https);
        Assert.Equal($"https://127.0.0.1:{port}/", ApiListener.Url($"127.0.0.1:{port}", https));

        using var client = Client();
        Assert.Equal("ok", await client.GetStringAsync($"https://127.0.0.1:{port}/api/health", Timeout()));

        using var plain = new HttpClient { Timeout = TimeSpan.FromSeconds(15) };
        await Assert.ThrowsAsync<HttpRequestException>(() => plain.GetAsync($"http://127.0.0.1:{port}/api/health", Timeout()));
        using var untrusting = new HttpClient { Timeout = TimeSpan.FromSeconds(15) };
        var e = await Assert.ThrowsAsync<HttpRequestException>(() => untrusting.GetAsync($"https://127.0.0.1:{port}/api/health", Timeout()));
        Assert.IsType<System.Security.Authentication.AuthenticationException>(e.InnerException);
    }

    [Fact]
    public async Task With_a_client_CA_the_API_requires_a_client_certificate_signed_by_it()
    {
        int port = NatsServer.FreePort();
        await using var app = await StartAsync($"127.0.0.1:{port}", new ApiHttpsOptions { CertFile = _pki.ApiCert, KeyFile = _pki.ApiKey, ClientCaFile = _pki.CaCert });
        var url = $"https://127.0.0.1:{port}/api/health";

        using var clientCert = X509CertificateLoader.LoadPkcs12(X509Certificate2.CreateFromPemFile(_pki.EngineCert, _pki.EngineKey).Export(X509ContentType.Pkcs12), null);
        using (var client = Client(clientCert))
            Assert.Equal("CN=siem-engine, O=Siem", await client.GetStringAsync(url, Timeout()));

        using var anonymous = Client();
        await Assert.ThrowsAsync<HttpRequestException>(() => anonymous.GetAsync(url, Timeout()));
    }

    [Fact]
    public void A_missing_key_file_or_a_bad_address_is_reported_at_startup_naming_it()
    {
        var missing = Assert.Throws<ArgumentException>(() => ApiListener.Configure("127.0.0.1:8443", new ApiHttpsOptions { CertFile = _pki.ApiCert, KeyFile = _pki.ApiKey + ".gone" }));
        Assert.Contains(_pki.ApiKey + ".gone", missing.Message, StringComparison.Ordinal);
        var address = Assert.Throws<ArgumentException>(() => ApiListener.Configure("example.org:8443"));
        Assert.Contains("'example.org' is not an IP address", address.Message, StringComparison.Ordinal);
        var port = Assert.Throws<ArgumentException>(() => ApiListener.Configure("127.0.0.1"));
        Assert.Contains("expected host:port", port.Message, StringComparison.Ordinal);
    }

    public void Dispose()
    {
        try { Directory.Delete(_pki.Dir, recursive: true); } catch (IOException) { }
    }
}
