namespace Siem.Api.Auth;

/// <summary>
/// Which JWTs are accepted: signed (RS256/ES256...) by a key of the provider — read from <see cref="JwksPath"/> (a JSON
/// Web Key Set file) or found through OIDC discovery at <see cref="Authority"/> — issued by <see cref="Issuer"/> for
/// <see cref="Audience"/>, within exp/nbf, carrying our role names in <see cref="RoleClaim"/> (a string or an array).
/// Exactly one of <see cref="JwksPath"/> and <see cref="Authority"/> is set.
/// </summary>
public sealed record JwtValidationOptions
{
    /// <summary>The <c>iss</c> tokens must carry. With <see cref="Authority"/> it may be left out: the provider's
    /// discovery document names it, and it must be the authority itself (OIDC Discovery §4.3) or this value.</summary>
    public string? Issuer { get; init; }
    public required string Audience { get; init; }

    /// <summary>A JWKS file (the provider's jwks_uri saved as a file); its keys are read once, at start.</summary>
    public string? JwksPath { get; init; }

    /// <summary>The OIDC provider (e.g. <c>https://idp.example.org/realms/soc</c>): keys come from the <c>jwks_uri</c> of
    /// <c>&lt;authority&gt;/.well-known/openid-configuration</c>. HTTPS, except on a loopback address.</summary>
    public Uri? Authority { get; init; }

    public string RoleClaim { get; init; } = "roles";
    public TimeSpan ClockSkew { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>Keys older than this are fetched again (a provider rotates keys by publishing the new one first).</summary>
    public TimeSpan KeyRefreshInterval { get; init; } = TimeSpan.FromHours(1);

    /// <summary>A token signed by a key we do not know makes us fetch the keys at once, but at most this often, so
    /// made-up key ids cannot turn the API into a flood of requests to the provider.</summary>
    public TimeSpan UnknownKeyRefreshGap { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>While the provider has never answered, discovery is retried this often (JWTs are refused meanwhile).</summary>
    public TimeSpan DiscoveryRetryInterval { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>The problem with this configuration, or null. Called where the configuration is read, so a mistake stops the start.</summary>
    public string? Problem()
    {
        if ((JwksPath == null) == (Authority == null)) return "give either the provider's authority (OIDC discovery) or a JWKS file, not both or neither";
        if (Authority != null)
        {
            if (!Authority.IsAbsoluteUri) return $"authority '{Authority}' must be an absolute URL";
            if (OidcDiscovery.InsecureProblem(Authority) is { } insecure) return "authority: " + insecure;
        }
        else if (string.IsNullOrWhiteSpace(Issuer)) return "issuer is required with a JWKS file";
        return null;
    }
}
