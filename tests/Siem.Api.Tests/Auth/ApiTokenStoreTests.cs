using Siem.Api.Auth;

namespace Siem.Api.Tests.Auth;

/// <summary>The token file is shared by a running API and <c>siem api-token</c> (another process, here another store instance).</summary>
public sealed class ApiTokenStoreTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("siem-tokens-").FullName;

    private string TokenFile => Path.Combine(_dir, "tokens.json");

    [Fact]
    public void A_token_created_by_another_process_is_accepted_by_a_running_store_at_once()
    {
        var running = new ApiTokenStore(TokenFile);
        Assert.NotNull(running.Check("siem_warmup").Problem);

        var (_, secret) = new ApiTokenStore(TokenFile).Create("casey", ApiRoles.Compliance);

        var check = running.Check(secret);
        Assert.Null(check.Problem);
        Assert.Equal("casey", check.Token!.Name);
    }

    [Fact]
    public async Task A_token_revoked_by_another_process_is_refused_by_a_running_store_within_its_recheck_interval()
    {
        var running = new ApiTokenStore(TokenFile);
        var (token, secret) = running.Create("night shift", ApiRoles.Analyst);
        Assert.Null(running.Check(secret).Problem);

        Assert.True(new ApiTokenStore(TokenFile).Revoke(token.Id));

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (running.Check(secret).Problem == null) await Task.Delay(50, timeout.Token);
        Assert.Equal("the token was revoked", running.Check(secret).Problem);
    }

    [Fact]
    public void Two_stores_writing_in_turn_keep_each_others_tokens()
    {
        var api = new ApiTokenStore(TokenFile);
        var cli = new ApiTokenStore(TokenFile);
        var (_, first) = api.Create("from the console", ApiRoles.Admin);
        var (_, second) = cli.Create("from the cli", ApiRoles.Analyst);

        var reread = new ApiTokenStore(TokenFile);
        Assert.Null(reread.Check(first).Problem);
        Assert.Null(reread.Check(second).Problem);
        Assert.Equal(2, reread.All.Count);
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
