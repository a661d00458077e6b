using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Siem.Host.Certs;

/// <summary>A private certificate authority (ECDSA P-256, SHA-256) that issues the platform's TLS certificates:
/// servers (nats-server, the HTTPS API) and clients (engine, agents) for mutual TLS.</summary>
internal sealed class CertificateAuthority : IDisposable
{
    private static readonly Oid ServerAuth = new("1.3.6.1.5.5.7.3.1", "Server Authentication");
    private static readonly Oid ClientAuth = new("1.3.6.1.5.5.7.3.2", "Client Authentication");

    private CertificateAuthority(X509Certificate2 certificate) => Certificate = certificate;

    /// <summary>The CA certificate, with its private key.</summary>
    public X509Certificate2 Certificate { get; }

    public static CertificateAuthority Create(string commonName, DateTimeOffset now, TimeSpan validity)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(new X500DistinguishedName($"CN={commonName}, O=Siem"), key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, true, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        return new CertificateAuthority(request.CreateSelfSigned(now.AddMinutes(-5), now.Add(validity)));
    }

    /// <summary>Loads a CA written earlier (certificate PEM + PKCS#8 key PEM).</summary>
    public static CertificateAuthority Load(string certFile, string keyFile)
    {
        var cert = X509Certificate2.CreateFromPemFile(certFile, keyFile);
        if (!cert.Extensions.OfType<X509BasicConstraintsExtension>().Any(b => b.CertificateAuthority))
            throw new InvalidDataException($"{certFile} is not a CA certificate (basic constraints CA:false)");
        return new CertificateAuthority(cert);
    }

    /// <summary>Issues a leaf certificate. <paramref name="hosts"/> become subject alternative names (IP addresses
    /// as IP SANs); a server certificate needs them, a client certificate may have none.</summary>
    public IssuedCertificate Issue(string commonName, CertificateUsage usage, IReadOnlyCollection<string> hosts, DateTimeOffset now, TimeSpan validity)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(commonName);
        var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(new X500DistinguishedName($"CN={commonName}, O=Siem"), key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyAgreement, true));
        var ekus = new OidCollection();
        if (usage.HasFlag(CertificateUsage.Server)) ekus.Add(ServerAuth);
        if (usage.HasFlag(CertificateUsage.Client)) ekus.Add(ClientAuth);
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(ekus, false));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(Certificate, true, false));
        if (hosts.Count > 0)
        {
            var san = new SubjectAlternativeNameBuilder();
            foreach (var host in hosts)
            {
                if (IPAddress.TryParse(host, out var ip)) san.AddIpAddress(ip);
                else san.AddDnsName(host);
            }
            request.CertificateExtensions.Add(san.Build());
        }
        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7F; // positive
        var notAfter = now.Add(validity);
        if (notAfter > Certificate.NotAfter) notAfter = Certificate.NotAfter; // a leaf cannot outlive its CA
        var cert = request.Create(Certificate, now.AddMinutes(-5), notAfter, serial);
        return new IssuedCertificate(cert, key);
    }

    public void Dispose() => Certificate.Dispose();
}
