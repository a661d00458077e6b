namespace Siem.Api.Auth;

/// <summary>Keys from a JWKS file, read once (a bad or missing file stops the start).</summary>
internal sealed class JwksFile : IJwksSource
{
    private readonly JwksSnapshot _snapshot;

    public JwksFile(string path, string issuer)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"JWKS file '{path}' does not exist", path);
        _snapshot = new JwksSnapshot(JwksSnapshot.Parse(File.ReadAllText(path), path), issuer, null);
    }

    public ValueTask<JwksSnapshot> GetAsync(string? kid, CancellationToken cancellationToken) => ValueTask.FromResult(_snapshot);

    public void Dispose()
    {
    }
}
