using System.Security.Cryptography.X509Certificates;
using Siem.Core.Security;
using Siem.Host.Certs;
using Siem.Nats;
using Siem.Testing;

namespace Siem.Engine.Tests.Certs;

public sealed class CertsInitTests : IDisposable
{
    private readonly PkiLayout _layout = new(Path.Combine(Directory.CreateTempSubdirectory("siem-certs-").FullName, "pki"));

    private static CancellationToken Timeout() => new CancellationTokenSource(TimeSpan.FromSeconds(20)).Token;

    [Fact]
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    public void Init_writes_a_CA_and_certificates_that_chain_to_it_with_every_secret_file_owner_only()
    {
        var files = new PkiInitializer(_layout).Run(["localhost", "127.0.0.1", "nats-1"], [new AgentName("acme", "web-01")]);

        Assert.All(files, f => Assert.True(f.Written, f.Path));
        Assert.All(files.Where(f => f.Secret), f => Assert.Equal(SecureFile.OwnerOnly, File.GetUnixFileMode(f.Path)));
        Assert.Equal(
            new[] { "agents/acme.web-01-key.pem", "agents/acme.web-01.nk", "agents/acme.web-01.pem", "api-key.pem", "api.pem", "ca-key.pem", "ca.pem",
                "engine-key.pem", "engine.nk", "engine.pem", "nats-accounts.conf", "nats-routes-tls.conf", "nats-server-key.pem", "nats-server.pem", "nats-tls.conf" },
            files.Select(f => Path.GetRelativePath(_layout.Dir, f.Path)).Order(StringComparer.Ordinal));

        using var ca = X509CertificateLoader.LoadCertificateFromFile(_layout.CaCert);
        foreach (var (file, eku) in new[] { (_layout.NatsServerCert, "1.3.6.1.5.5.7.3.1"), (_layout.ApiCert, "1.3.6.1.5.5.7.3.1"), (_layout.EngineCert, "1.3.6.1.5.5.7.3.2"), (_layout.AgentCert(new("acme", "web-01")), "1.3.6.1.5.5.7.3.2") })
        {
            using var cert = X509Certificate2.CreateFromPemFile(file, file.Replace(".pem", "-key.pem", StringComparison.Ordinal));
            Assert.True(cert.HasPrivateKey);
            using (var publicKey = cert.GetECDsaPublicKey()) Assert.Equal(256, publicKey!.KeySize);
            using var chain = new X509Chain();
            chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
            chain.ChainPolicy.CustomTrustStore.Add(ca);
            chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
            chain.ChainPolicy.ApplicationPolicy.Add(new System.Security.Cryptography.Oid(eku));
            Assert.True(chain.Build(cert), $"{file}: {string.Join("; ", chain.ChainStatus.Select(s => s.StatusInformation))}");
        }
        using var server = X509CertificateLoader.LoadCertificateFromFile(_layout.NatsServerCert);
        var san = server.Extensions.OfType<X509SubjectAlternativeNameExtension>().Single();
        Assert.Equal(new[] { "localhost", "nats-1" }, san.EnumerateDnsNames());
        Assert.Equal("127.0.0.1", Assert.Single(san.EnumerateIPAddresses()).ToString());
        Assert.Equal(2, server.Extensions.OfType<X509EnhancedKeyUsageExtension>().Single().EnhancedKeyUsages.Count);
    }

    [Fact]
    public void Running_init_again_keeps_the_CA_and_keys_and_only_adds_new_agents()
    {
        new PkiInitializer(_layout).Run(["localhost"], [new AgentName("acme", "web-01")]);
        var caBefore = File.ReadAllText(_layout.CaCert);
        var engineSeedBefore = File.ReadAllText(_layout.EngineNKey);

        var files = new PkiInitializer(_layout).Run(["localhost"], [new AgentName("acme", "web-02")]);

        Assert.Equal(caBefore, File.ReadAllText(_layout.CaCert));
        Assert.Equal(engineSeedBefore, File.ReadAllText(_layout.EngineNKey));
        Assert.False(files.Single(f => f.Path == _layout.CaCert).Written);
        Assert.True(files.Single(f => f.Path == _layout.AgentNKey(new("acme", "web-02"))).Written);
        var accounts = File.ReadAllText(_layout.NatsAccountsConf);
        Assert.Contains("\"siem.events.acme.web-01\"", accounts, StringComparison.Ordinal);
        Assert.Contains("\"siem.events.acme.web-02\"", accounts, StringComparison.Ordinal);
        Assert.Contains(NKeyPair.FromSeed(engineSeedBefore).PublicKey, accounts, StringComparison.Ordinal);
        Assert.DoesNotContain(engineSeedBefore.Trim(), accounts, StringComparison.Ordinal);
    }

    [Fact]
    public void A_CA_certificate_without_its_key_is_an_error_naming_the_missing_file()
    {
        new PkiInitializer(_layout).Run(["localhost"], []);
        File.Delete(_layout.CaKey);
        var e = Assert.Throws<InvalidDataException>(() => new PkiInitializer(_layout).Run(["localhost"], []));
        Assert.Contains(_layout.CaKey, e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("acme/web.01", "agent id 'web.01'")]
    [InlineData("a/b/c", "expected tenant/id")]
    [InlineData("ac me/web", "tenant 'ac me'")]
    public void Agent_names_that_are_not_single_subject_tokens_are_rejected(string text, string expected)
    {
        var e = Assert.Throws<ArgumentException>(() => AgentName.Parse(text, "default"));
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_real_nats_server_with_the_generated_TLS_block_accepts_a_client_certificate_and_refuses_a_client_without_one()
    {
        new PkiInitializer(_layout).Run(["localhost", "127.0.0.1"], []);
        await using var server = await NatsServer.StartAsync(await File.ReadAllTextAsync(_layout.NatsTlsConf), jetStream: false);
        var opts = NatsOpts.Default with { Servers = [$"tls://127.0.0.1:{server.Port}"], TlsCaFile = _layout.CaCert, ConnectTimeout = TimeSpan.FromSeconds(15) };

        await using (var engine = new NatsConnection(opts with { TlsCertFile = _layout.EngineCert, TlsKeyFile = _layout.EngineKey }))
        {
            await SecuredNats.ConnectAsync(engine, Timeout());
            Assert.True(engine.ServerInfo!.TlsRequired);
            await using var sub = await engine.SubscribeAsync("tls.check", cancellationToken: Timeout());
            await engine.PublishAsync("tls.check", "over mTLS"u8.ToArray(), cancellationToken: Timeout());
            Assert.Equal("over mTLS"u8.ToArray(), (await sub.Msgs.ReadAsync(Timeout())).Data.ToArray());
        }
        await using var anonymous = new NatsConnection(opts with { MaxReconnectAttempts = 0 });
        await Assert.ThrowsAsync<NatsConnectionException>(async () => await anonymous.ConnectAsync(Timeout()));
    }

    public void Dispose()
    {
        try { Directory.Delete(Path.GetDirectoryName(_layout.Dir)!, recursive: true); } catch (IOException) { }
    }
}
