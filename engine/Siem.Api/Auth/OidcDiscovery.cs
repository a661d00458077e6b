using System.Globalization;
using System.Net;
using System.Text.Json;
using Microsoft.Extensions.Logging;

namespace Siem.Api.Auth;

/// <summary>
/// Signing keys found through OIDC discovery: <c>&lt;authority&gt;/.well-known/openid-configuration</c> names the issuer
/// (which must be the authority, or the configured issuer) and <c>jwks_uri</c>, whose keys are cached. They are fetched
/// again when they are older than <see cref="JwtValidationOptions.KeyRefreshInterval"/>, and at once for a token signed
/// by an unknown key id — at most once per <see cref="JwtValidationOptions.UnknownKeyRefreshGap"/>. A failed refresh keeps
/// the keys we have. While the provider has never answered, JWTs are refused with the reason and discovery is retried
/// every <see cref="JwtValidationOptions.DiscoveryRetryInterval"/>. HTTPS is required except on loopback addresses.
/// </summary>
internal sealed class OidcDiscovery : IJwksSource
{
    private const long MaxDocumentBytes = 1024 * 1024;

    private readonly JwtValidationOptions _options;
    private readonly Uri _authority;
    private readonly TimeProvider _time;
    private readonly ILogger _log;
    private readonly HttpClient _http;
    private readonly SemaphoreSlim _fetching = new(1, 1);
    private readonly ITimer _retry;
    private volatile JwksSnapshot _current;
    private DateTimeOffset _fetchedAt = DateTimeOffset.MinValue;
    private DateTimeOffset _attemptedAt = DateTimeOffset.MinValue;
    private volatile bool _disposed;
    private int _fetches;
    private readonly Task _firstRound;

    public OidcDiscovery(JwtValidationOptions options, TimeProvider time, ILogger log)
    {
        _options = options;
        _authority = options.Authority ?? throw new ArgumentException("no authority configured", nameof(options));
        _time = time;
        _log = log;
        _http = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false }) { Timeout = TimeSpan.FromSeconds(10), MaxResponseContentBufferSize = MaxDocumentBytes };
        _current = new JwksSnapshot([], null, $"the OIDC provider at {_authority} has not answered yet");
        // The first fetch starts now (requests meanwhile wait for it); the timer retries until one succeeds and refreshes
        // the keys as they age.
        _firstRound = RefreshAsync(force: true, CancellationToken.None);
        _retry = time.CreateTimer(_ => _ = RefreshAsync(force: false, CancellationToken.None), null, options.DiscoveryRetryInterval, options.DiscoveryRetryInterval);
    }

    /// <summary>The number of discovery rounds that reached the provider and were accepted (for tests and metrics).</summary>
    public int Fetches => Volatile.Read(ref _fetches);

    public async ValueTask<JwksSnapshot> GetAsync(string? kid, CancellationToken cancellationToken)
    {
        if (!_firstRound.IsCompleted) await _firstRound.WaitAsync(cancellationToken).ConfigureAwait(false);
        var current = _current;
        bool unknownKey = kid != null && current.Keys.Count > 0 && !current.Has(kid);
        if (unknownKey && _time.GetUtcNow() - _attemptedAt >= _options.UnknownKeyRefreshGap)
        {
            await RefreshAsync(force: true, cancellationToken).ConfigureAwait(false);
            current = _current;
        }
        return current;
    }

    /// <summary>Why <paramref name="uri"/> may not be used for keys: plain HTTP to a host that is not loopback.</summary>
    public static string? InsecureProblem(Uri uri) =>
        uri.Scheme == Uri.UriSchemeHttps || (uri.Scheme == Uri.UriSchemeHttp && IsLoopback(uri)) ? null
            : $"'{uri}' must use https (plain http only on a loopback address): keys fetched in the clear could be swapped";

    private static bool IsLoopback(Uri uri) =>
        uri.IsLoopback || (IPAddress.TryParse(uri.Host.Trim('[', ']'), out var ip) && IPAddress.IsLoopback(ip));

    /// <param name="force">Fetch now (start, unknown key id); otherwise only when there are no keys yet or they are old.</param>
    private async Task RefreshAsync(bool force, CancellationToken cancellationToken)
    {
        if (_disposed || (!force && _current.Keys.Count > 0 && _time.GetUtcNow() - _fetchedAt < _options.KeyRefreshInterval)) return;
        if (!await _fetching.WaitAsync(0, cancellationToken).ConfigureAwait(false))
        {
            // Someone is fetching already: wait for that round instead of starting another.
            await _fetching.WaitAsync(cancellationToken).ConfigureAwait(false);
            _fetching.Release();
            return;
        }
        try
        {
            _attemptedAt = _time.GetUtcNow();
            var (issuer, keys) = await FetchAsync(cancellationToken).ConfigureAwait(false);
            bool had = _current.Keys.Count > 0;
            _current = new JwksSnapshot(keys, issuer, null);
            _fetchedAt = _time.GetUtcNow();
            Interlocked.Increment(ref _fetches);
            if (!had) _log.LogWarning("OIDC provider {Authority} answered: {Count} signing keys for issuer {Issuer}", _authority, keys.Count, issuer);
        }
        catch (Exception ex) when (ex is HttpRequestException or InvalidDataException or JsonException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            string problem = $"OIDC discovery at {_authority} failed: {ex.Message}";
            if (_current.Keys.Count == 0)
            {
                _current = new JwksSnapshot([], null, string.Create(CultureInfo.InvariantCulture,
                    $"{problem}; JWTs are refused until it answers (retried every {_options.DiscoveryRetryInterval.TotalSeconds:0.#} s)"));
                _log.LogError("{Problem}; JWTs are refused until it answers (retried every {Seconds} s)", problem, _options.DiscoveryRetryInterval.TotalSeconds);
            }
            else
            {
                _log.LogWarning("{Problem}; the keys fetched at {FetchedAt:O} stay in use", problem, _fetchedAt);
            }
        }
        catch (ObjectDisposedException) when (_disposed)
        {
            // Stopped while fetching.
        }
        finally
        {
            _fetching.Release();
        }
    }

    private async Task<(string Issuer, List<Microsoft.IdentityModel.Tokens.SecurityKey> Keys)> FetchAsync(CancellationToken cancellationToken)
    {
        var discoveryUri = new Uri(_authority.AbsoluteUri.TrimEnd('/') + "/.well-known/openid-configuration");
        using var discovery = await GetJsonAsync(discoveryUri, cancellationToken).ConfigureAwait(false);
        string issuer = StringProperty(discovery.RootElement, "issuer", discoveryUri);
        string expected = _options.Issuer ?? _authority.AbsoluteUri;
        if (!string.Equals(issuer.TrimEnd('/'), expected.TrimEnd('/'), StringComparison.Ordinal))
            throw new InvalidDataException($"{discoveryUri} names issuer '{issuer}', not '{expected}' (a discovery document must name its own authority)");
        if (!Uri.TryCreate(StringProperty(discovery.RootElement, "jwks_uri", discoveryUri), UriKind.Absolute, out var jwksUri))
            throw new InvalidDataException($"{discoveryUri}: jwks_uri is not an absolute URL");
        if (InsecureProblem(jwksUri) is { } insecure) throw new InvalidDataException($"{discoveryUri}: jwks_uri {insecure}");
        string jwks = await GetTextAsync(jwksUri, cancellationToken).ConfigureAwait(false);
        return (issuer, JwksSnapshot.Parse(jwks, jwksUri.AbsoluteUri));
    }

    private async Task<JsonDocument> GetJsonAsync(Uri uri, CancellationToken cancellationToken)
    {
        string text = await GetTextAsync(uri, cancellationToken).ConfigureAwait(false);
        try
        {
            return JsonDocument.Parse(text);
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"{uri}: not JSON ({ex.Message})", ex);
        }
    }

    private async Task<string> GetTextAsync(Uri uri, CancellationToken cancellationToken)
    {
        using var response = await _http.GetAsync(uri, cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode) throw new HttpRequestException($"{uri} answered {(int)response.StatusCode} {response.ReasonPhrase}");
        return await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
    }

    private static string StringProperty(JsonElement root, string name, Uri where) =>
        root.ValueKind == JsonValueKind.Object && root.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String && v.GetString() is { Length: > 0 } s
            ? s
            : throw new InvalidDataException($"{where}: no '{name}'");

    public void Dispose()
    {
        _disposed = true;
        _retry.Dispose();
        _http.Dispose();
    }
}
