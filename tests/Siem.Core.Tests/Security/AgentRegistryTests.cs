using Siem.Core.Security;

namespace Siem.Core.Tests.Security;

public sealed class AgentRegistryTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("siem-registry-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Processes_sharing_the_file_see_each_others_enrollments_and_never_overwrite_a_revocation()
    {
        var path = Path.Combine(_dir, "agents.json");
        var engine = new AgentRegistry(path);
        var api = new AgentRegistry(path);
        engine.Register("a1", AgentIdentity.Create("a1").SigningPublicKey, "acme");

        // The API (started before the enrollment) finds the new agent and revokes it; the engine then enrolls another.
        Assert.True(api.Revoke("a1"));
        engine.Register("b2", AgentIdentity.Create("b2").SigningPublicKey, "acme");

        var reread = new AgentRegistry(path);
        Assert.Equal(["a1", "b2"], reread.All.Select(r => r.AgentId));
        Assert.True(reread.TryGet("a1", out var a1));
        Assert.True(a1.Revoked);
        Assert.True(api.TryGet("b2", out _));
        Assert.Equal(["a1", "b2"], api.All.Select(r => r.AgentId));
    }

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
