using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Siem.Nats.Tests;

/// <summary>A throwaway CA with a server certificate (127.0.0.1/localhost) and a client certificate, written as PEM files
/// (keys mode 0600) into a temp directory.</summary>
internal sealed class TestCertificates : IDisposable
{
    private TestCertificates(string dir) => Dir = dir;

    public string Dir { get; }
    public string CaFile => Path.Combine(Dir, "ca.pem");
    public string ServerCertFile => Path.Combine(Dir, "server.pem");
    public string ServerKeyFile => Path.Combine(Dir, "server-key.pem");
    public string ClientCertFile => Path.Combine(Dir, "client.pem");
    public string ClientKeyFile => Path.Combine(Dir, "client-key.pem");

    /// <summary>nats-server config: TLS required, and with <paramref name="verify"/> a client certificate signed by the CA.</summary>
    public string ServerConfig(bool verify) =>
        $"tls {{\n  cert_file: \"{ServerCertFile}\"\n  key_file: \"{ServerKeyFile}\"\n  ca_file: \"{CaFile}\"\n  verify: {(verify ? "true" : "false")}\n  timeout: 2\n}}\n";

    public static TestCertificates Create()
    {
        var certs = new TestCertificates(Directory.CreateTempSubdirectory("siem-certs-").FullName);
        var now = DateTimeOffset.UtcNow;
        using var caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var caReq = new CertificateRequest("CN=Siem Test CA", caKey, HashAlgorithmName.SHA256);
        caReq.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        caReq.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        caReq.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(caReq.PublicKey, false));
        using var ca = caReq.CreateSelfSigned(now.AddDays(-1), now.AddDays(2));
        File.WriteAllText(certs.CaFile, ca.ExportCertificatePem());
        certs.Issue(ca, "CN=nats-server", "1.3.6.1.5.5.7.3.1", server: true, certs.ServerCertFile, certs.ServerKeyFile, now);
        certs.Issue(ca, "CN=siem-client", "1.3.6.1.5.5.7.3.2", server: false, certs.ClientCertFile, certs.ClientKeyFile, now);
        return certs;
    }

    private void Issue(X509Certificate2 ca, string subject, string eku, bool server, string certFile, string keyFile, DateTimeOffset now)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var req = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
        req.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        req.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        req.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid(eku)], false));
        req.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(ca, true, false));
        if (server)
        {
            var san = new SubjectAlternativeNameBuilder();
            san.AddIpAddress(IPAddress.Loopback);
            san.AddDnsName("localhost");
            req.CertificateExtensions.Add(san.Build());
        }
        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7F;
        using var cert = req.Create(ca, now.AddDays(-1), now.AddDays(1), serial);
        File.WriteAllText(certFile, cert.ExportCertificatePem());
        File.WriteAllText(keyFile, key.ExportPkcs8PrivateKeyPem());
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(keyFile, UnixFileMode.UserRead | UnixFileMode.UserWrite);
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Dir, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
