namespace Siem.Api.Tests;

/// <summary>A clock the test moves by hand (token expiry, JWT lifetimes, relative search times).</summary>
internal sealed class ManualTime(DateTimeOffset start) : TimeProvider
{
    private DateTimeOffset _now = start;

    public override DateTimeOffset GetUtcNow() => _now;

    public void Advance(TimeSpan by) => _now += by;
}
