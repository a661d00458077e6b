using System.Net;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Https;

namespace Siem.Api.Https;

/// <summary>
/// Where the API listens, HTTP or HTTPS: pass <see cref="Configure"/> as the <c>configure</c> argument of
/// <see cref="SiemApi.Build"/>. Certificate problems are reported at startup naming the file, not at the first request.
/// </summary>
public static class ApiListener
{
    /// <summary>Listens on <paramref name="address"/> (<c>host:port</c>, an IP or <c>localhost</c>/<c>*</c>); HTTPS
    /// when <paramref name="https"/> is given.</summary>
    public static Action<WebApplicationBuilder> Configure(string address, ApiHttpsOptions? https = null)
    {
        var endpoint = ParseAddress(address);
        var certificate = https is null ? null : LoadCertificate(https);
        var clientCa = https?.ClientCaFile is { } caFile ? LoadCa(caFile) : null;
        return builder => builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(endpoint, listen =>
        {
            if (certificate is null) return;
            listen.UseHttps(new HttpsConnectionAdapterOptions
            {
                ServerCertificate = certificate,
                SslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
                ClientCertificateMode = clientCa is null ? ClientCertificateMode.NoCertificate : ClientCertificateMode.RequireCertificate,
                ClientCertificateValidation = clientCa is null ? null : (cert, _, _) => ChainsTo(cert, clientCa),
            });
        }));
    }

    /// <summary>The URL a person opens for this listener (<c>https://127.0.0.1:8443/</c>).</summary>
    public static string Url(string address, ApiHttpsOptions? https)
    {
        var e = ParseAddress(address);
        var host = e.Address.Equals(IPAddress.Any) || e.Address.Equals(IPAddress.IPv6Any) ? "localhost" : e.Address.ToString();
        return $"{(https is null ? "http" : "https")}://{(e.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? $"[{host}]" : host)}:{e.Port}/";
    }

    internal static IPEndPoint ParseAddress(string address)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(address);
        int colon = address.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(address.AsSpan(colon + 1), out var port) || port is < 1 or > 65535)
            throw new ArgumentException($"API listen address '{address}': expected host:port, for example 127.0.0.1:8443");
        var host = address[..colon].Trim('[', ']');
        var ip = host switch
        {
            "*" or "0.0.0.0" => IPAddress.Any,
            "localhost" => IPAddress.Loopback,
            _ when IPAddress.TryParse(host, out var parsed) => parsed,
            _ => throw new ArgumentException($"API listen address '{address}': '{host}' is not an IP address (use 0.0.0.0, 127.0.0.1, localhost or *)"),
        };
        return new IPEndPoint(ip, port);
    }

    private static X509Certificate2 LoadCertificate(ApiHttpsOptions https)
    {
        foreach (var file in new[] { https.CertFile, https.KeyFile })
            if (!File.Exists(file)) throw new ArgumentException($"API HTTPS: {file} does not exist (create it with `siem certs init`)");
        try
        {
            using var pem = X509Certificate2.CreateFromPemFile(https.CertFile, https.KeyFile);
            // Round-trip through PKCS#12 so the key is usable by SslStream on every platform.
            return X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), null);
        }
        catch (CryptographicException e)
        {
            throw new ArgumentException($"API HTTPS: cannot load {https.CertFile} with key {https.KeyFile}: {e.Message}", e);
        }
    }

    private static X509Certificate2 LoadCa(string file)
    {
        if (!File.Exists(file)) throw new ArgumentException($"API HTTPS: client CA {file} does not exist");
        return X509CertificateLoader.LoadCertificateFromFile(file);
    }

    private static bool ChainsTo(X509Certificate2 cert, X509Certificate2 ca)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(ca);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.ApplicationPolicy.Add(new Oid("1.3.6.1.5.5.7.3.2"));
        return chain.Build(cert);
    }
}
