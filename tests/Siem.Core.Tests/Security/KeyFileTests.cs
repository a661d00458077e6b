using Siem.Core.Envelope;
using Siem.Core.Security;

namespace Siem.Core.Tests.Security;

public sealed class KeyFileTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("siem-keys-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Agent_identity_file_is_owner_only_and_loads_the_same_key()
    {
        var path = Path.Combine(_dir, "state", "identity.json");
        var identity = AgentIdentity.Create("db-7");
        identity.Save(path);

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        var loaded = AgentIdentity.Load(path);
        Assert.Equal("db-7", loaded.AgentId);
        Assert.Equal(identity.SigningPublicKey, loaded.SigningPublicKey);
    }

    [Fact]
    public void Engine_key_file_is_owner_only_and_the_loaded_key_opens_what_was_sealed_to_the_original()
    {
        var path = Path.Combine(_dir, "engine-key.json");
        var key = EngineKeyPair.Create();
        key.Save(path);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));

        var loaded = EngineKeyPair.Load(path);
        var agent = AgentIdentity.Create("a1");
        var registry = new AgentRegistry();
        registry.Register("a1", agent.SigningPublicKey, "t1");
        var sealedEnvelope = new EnvelopeSealer(agent, key.AgreementPublicKey, key.KeyId).Seal(1, "x"u8);
        var opener = new EnvelopeOpener(new Dictionary<string, EngineKeyPair> { [loaded.KeyId] = loaded }, registry);
        var headers = sealedEnvelope.Headers.ToDictionary(h => h.Key, h => h.Value);

        Assert.True(opener.Open(n => headers.GetValueOrDefault(n), sealedEnvelope.Body).Ok);
        Assert.Equal(key.KeyId, loaded.KeyId);
    }

    [Fact]
    public void Overwriting_a_key_file_replaces_it_atomically_and_leaves_no_temp_file()
    {
        var path = Path.Combine(_dir, "identity.json");
        AgentIdentity.Create("a").Save(path);
        var second = AgentIdentity.Create("b");
        second.Save(path);

        Assert.Equal("b", AgentIdentity.Load(path).AgentId);
        Assert.Equal([path], Directory.GetFiles(_dir));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
    }

    [Fact]
    public void Identity_string_form_does_not_reveal_key_material()
    {
        var identity = AgentIdentity.Create("web-01");
        var path = Path.Combine(_dir, "id.json");
        identity.Save(path);
        var privateB64 = System.Text.Json.JsonDocument.Parse(File.ReadAllBytes(path)).RootElement.GetProperty("signing_private_key").GetString()!;

        Assert.Equal("AgentIdentity(web-01)", identity.ToString());
        Assert.DoesNotContain(privateB64, EngineKeyPair.Create().ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Corrupted_key_file_is_refused_with_the_file_and_field_named()
    {
        var path = Path.Combine(_dir, "identity.json");
        File.WriteAllText(path, "{\"agent_id\":\"a\",\"signing_private_key\":\"AAAA\",\"signing_public_key\":\"AAAA\"}");
        var e = Assert.Throws<InvalidDataException>(() => AgentIdentity.Load(path));
        Assert.Equal($"{path}: field 'signing_private_key' must hold 32 bytes, has 3", e.Message);
    }

    [Theory]
    [InlineData("")]
    [InlineData("a.b")]
    [InlineData("a b")]
    [InlineData("a*")]
    [InlineData("a>")]
    public void Agent_ids_that_are_not_safe_subject_tokens_are_refused(string id)
    {
        Assert.Throws<ArgumentException>(() => AgentIdentity.Create(id));
    }
}
