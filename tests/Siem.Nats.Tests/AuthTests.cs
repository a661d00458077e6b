using Siem.Nats.Internal;
using Siem.Testing;

namespace Siem.Nats.Tests;

public sealed class AuthTests
{
    private static CancellationToken Timeout() => new CancellationTokenSource(TimeSpan.FromSeconds(15)).Token;

    private static async Task RoundTripAsync(NatsConnection c)
    {
        var ct = Timeout();
        await using var sub = await c.SubscribeAsync("auth.check", cancellationToken: ct);
        await c.PublishAsync("auth.check", "hi"u8.ToArray(), cancellationToken: ct);
        Assert.Equal("hi"u8.ToArray(), (await sub.Msgs.ReadAsync(ct)).Data.ToArray());
    }

    [Fact]
    public async Task User_and_password_connect_and_a_wrong_password_fails_with_an_authorization_error()
    {
        await using var server = await NatsServer.StartAsync("authorization { user: alice, password: \"s3cret pw\" }", jetStream: false);
        await using (var good = new NatsConnection(NatsOpts.Default with { Servers = [server.Url], Username = "alice", Password = "s3cret pw" }))
        {
            await good.ConnectAsync(Timeout());
            await RoundTripAsync(good);
        }
        await using var bad = new NatsConnection(NatsOpts.Default with { Servers = [server.Url], Username = "alice", Password = "wrong" });
        var e = await Assert.ThrowsAsync<NatsAuthorizationException>(async () => await bad.ConnectAsync(Timeout()));
        Assert.Contains("Authorization Violation", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("wrong", e.Message, StringComparison.Ordinal);
        Assert.Equal(NatsConnectionState.Closed, bad.ConnectionState);
    }

    [Fact]
    public async Task Token_connects_and_a_missing_token_fails_with_an_authorization_error()
    {
        await using var server = await NatsServer.StartAsync("authorization { token: \"t0ken-abc\" }", jetStream: false);
        await using (var good = new NatsConnection(NatsOpts.Default with { Servers = [server.Url], Token = "t0ken-abc" }))
        {
            await good.ConnectAsync(Timeout());
            await RoundTripAsync(good);
        }
        await using var bad = new NatsConnection(NatsOpts.Default with { Servers = [server.Url] });
        await Assert.ThrowsAsync<NatsAuthorizationException>(async () => await bad.ConnectAsync(Timeout()));
    }

    [Fact]
    public async Task NKey_signs_the_nonce_and_an_unknown_key_is_rejected()
    {
        var seed = NKeys.CreateUserSeed();
        var publicKey = NKeys.PublicKeyFromSeed(seed);
        await using var server = await NatsServer.StartAsync($"authorization {{ users = [ {{ nkey: \"{publicKey}\" }} ] }}", jetStream: false);
        await using (var good = new NatsConnection(NatsOpts.Default with { Servers = [server.Url], NKeySeed = seed }))
        {
            await good.ConnectAsync(Timeout());
            Assert.False(string.IsNullOrEmpty(good.ServerInfo!.Nonce));
            await RoundTripAsync(good);
        }
        var seedFile = Path.Combine(server.WorkDir, "user.nk");
        await File.WriteAllTextAsync(seedFile, seed + "\n");
        await using (var fromFile = new NatsConnection(NatsOpts.Default with { Servers = [server.Url], NKeySeedFile = seedFile }))
        {
            await fromFile.ConnectAsync(Timeout());
        }
        await using var bad = new NatsConnection(NatsOpts.Default with { Servers = [server.Url], NKeySeed = NKeys.CreateUserSeed() });
        await Assert.ThrowsAsync<NatsAuthorizationException>(async () => await bad.ConnectAsync(Timeout()));
    }

    [Fact]
    public void NKey_encoding_matches_the_published_nkeys_test_vector()
    {
        // Seed, public key and nonce signature from the nkeys test suites (Go/Python/Ruby clients).
        const string seed = "SUAMLK2ZNL35WSMW37E7UD4VZ7ELPKW7DHC3BWBSD2GCZ7IUQQXZIORRBU";
        Assert.Equal("UCK5N7N66OBOINFXAYC2ACJQYFSOD4VYNU6APEJTAVFZB2SVHLKGEW7L", NKeys.PublicKeyFromSeed(seed));
        var sig = NKeys.Sign(seed, "PXoWU7zWAMt75FY"u8);
        Assert.StartsWith("ZaAiVDgB5CeYoXoQ7cBCmq+ZllzUnGUoDVb8C7PilWvCs8XKfUchAUhz2P4BYAF++Dg3w05CqyQFRDiGL6LrDw", Convert.ToBase64String(sig), StringComparison.Ordinal);
        var (raw, type) = NKeys.DecodeSeed(seed);
        Assert.Equal(NKeys.PrefixUser, type);
        Assert.Equal(seed, NKeys.EncodeSeed(type, raw));
    }

    [Fact]
    public void A_mistyped_NKey_seed_is_reported_as_a_bad_checksum()
    {
        string seed = "SUAMLK2ZNL35WSMW37E7UD4VZ7ELPKW7DHC3BWBSD2GCZ7IUQQXZIORRBU".Replace("ZNL35", "ZNL36", StringComparison.Ordinal);
        var e = Assert.Throws<FormatException>(() => NKeys.DecodeSeed(seed));
        Assert.Contains("checksum", e.Message, StringComparison.Ordinal);
    }
}
