namespace Siem.Api.Https;

/// <summary>
/// TLS for the HTTP API. With a certificate configured the API listens on HTTPS only (TLS 1.2+); the files are PEM
/// as <c>siem certs init</c> writes them (<c>api.pem</c>, <c>api-key.pem</c>). <see cref="ClientCaFile"/> additionally
/// requires browser/client certificates signed by that CA (mutual TLS) — off by default, API tokens and JWTs
/// authenticate people.
/// </summary>
public sealed record ApiHttpsOptions
{
    /// <summary>PEM certificate (chain) the API presents.</summary>
    public required string CertFile { get; init; }

    /// <summary>PEM private key of <see cref="CertFile"/> (PKCS#8 or SEC1; keep it mode 0600).</summary>
    public required string KeyFile { get; init; }

    /// <summary>PEM CA whose client certificates are required; null = no client certificates.</summary>
    public string? ClientCaFile { get; init; }
}
