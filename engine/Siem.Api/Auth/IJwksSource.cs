namespace Siem.Api.Auth;

/// <summary>Where the provider's signing keys come from: a file read at start, or OIDC discovery kept fresh.</summary>
internal interface IJwksSource : IDisposable
{
    /// <summary>The current keys; <paramref name="kid"/> is the key id a token names, so a source can fetch again for one it lacks.</summary>
    ValueTask<JwksSnapshot> GetAsync(string? kid, CancellationToken cancellationToken);
}
