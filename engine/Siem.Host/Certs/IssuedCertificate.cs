using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Siem.Core.Security;

namespace Siem.Host.Certs;

/// <summary>A leaf certificate (public) and its private key, written as PEM files (the key mode 0600).</summary>
internal sealed class IssuedCertificate(X509Certificate2 certificate, ECDsa key) : IDisposable
{
    public X509Certificate2 Certificate { get; } = certificate;

    public void Write(string certFile, string keyFile)
    {
        File.WriteAllText(certFile, Certificate.ExportCertificatePem() + "\n");
        SecureFile.WriteAllText(keyFile, key.ExportPkcs8PrivateKeyPem() + "\n");
    }

    public void Dispose()
    {
        Certificate.Dispose();
        key.Dispose();
    }
}
