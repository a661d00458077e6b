using Siem.Core.Security;

namespace Siem.Core.Tests.Security;

public sealed class AgentRegistryTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("siem-registry-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Registered_and_revoked_agents_survive_a_reload_from_an_owner_only_file()
    {
        var path = Path.Combine(_dir, "agents.json");
        var a = AgentIdentity.Create("a1");
        var b = AgentIdentity.Create("b2");
        var registry = new AgentRegistry(path);
        registry.Register("a1", a.SigningPublicKey, "acme", "host-a");
        registry.Register("b2", b.SigningPublicKey, "acme");
        Assert.True(registry.Revoke("b2"));

        var reloaded = new AgentRegistry(path);

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        Assert.Equal(["a1", "b2"], reloaded.All.Select(r => r.AgentId));
        Assert.True(reloaded.TryGet("a1", out var ra));
        Assert.False(ra.Revoked);
        Assert.Equal(a.SigningPublicKey, ra.SigningPublicKey);
        Assert.Equal("host-a", ra.HostName);
        Assert.True(reloaded.TryGet("b2", out var rb));
        Assert.True(rb.Revoked);
        Assert.NotNull(rb.RevokedAt);
    }

    [Fact]
    public void A_revoked_agent_id_cannot_enroll_again()
    {
        var registry = new AgentRegistry();
        registry.Register("a1", AgentIdentity.Create("a1").SigningPublicKey, "acme");
        registry.Revoke("a1");
        var e = Assert.Throws<InvalidOperationException>(() => registry.Register("a1", AgentIdentity.Create("a1").SigningPublicKey, "acme"));
        Assert.Contains("revoked", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Revoking_an_unknown_agent_returns_false()
    {
        Assert.False(new AgentRegistry().Revoke("nobody"));
    }
}
