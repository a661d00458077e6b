using System.Net;
using Siem.Api.Auth;
using Siem.Api.Audit;

namespace Siem.Api.Tests.Audit;

public sealed class DeniedCallAuditTests
{
    [Fact]
    public async Task A_refused_call_is_audited_with_who_what_and_why_but_never_the_presented_secret()
    {
        await using var host = await ApiTestHost.StartAsync(seed: false);
        var (token, secret) = host.Tokens.Create("former contractor", ApiRoles.Analyst);
        host.Tokens.Revoke(token.Id);
        var forged = "siem_" + new string('A', 43);

        using var anonymous = await host.Anonymous().GetAsync("/api/alerts?q=secret-query");
        using var revoked = await host.WithBearer(secret).GetAsync("/api/alerts");
        using var unknown = await host.WithBearer(forged).GetAsync("/api/search");
        using var wrongRole = await host.As(ApiRoles.Analyst, name: "night shift").GetAsync("/api/purges");
        using var console = await host.Anonymous().GetAsync("/");

        var denied = (await host.Audit.ReadAllAsync()).Where(e => e.Action == "api.denied").ToList();
        Assert.Equal([HttpStatusCode.Unauthorized, HttpStatusCode.Unauthorized, HttpStatusCode.Unauthorized, HttpStatusCode.Forbidden, HttpStatusCode.OK],
            [anonymous.StatusCode, revoked.StatusCode, unknown.StatusCode, wrongRole.StatusCode, console.StatusCode]);
        Assert.Equal(4, denied.Count);
        Assert.Equal(("anonymous", "GET /api/alerts", "401", "reason: no credentials; client: unknown"),
            (denied[0].Actor, denied[0].Target, denied[0].Details["status"], denied[0].Details["detail"]));
        Assert.Equal("reason: the token was revoked; client: unknown", denied[1].Details["detail"]);
        Assert.Equal("reason: unknown token; client: unknown", denied[2].Details["detail"]);
        Assert.StartsWith("token:", denied[3].Actor, StringComparison.Ordinal);
        Assert.EndsWith(":night shift", denied[3].Actor, StringComparison.Ordinal);
        Assert.Equal(("GET /api/purges", "403", "analyst", "reason: role analyst may not do this; client: unknown"),
            (denied[3].Target, denied[3].Details["status"], denied[3].Details["role"], denied[3].Details["detail"]));
        var file = await File.ReadAllTextAsync(Path.Combine(host.Dir, "data", "audit", "audit.jsonl"));
        Assert.DoesNotContain(secret, file, StringComparison.Ordinal);
        Assert.DoesNotContain(forged, file, StringComparison.Ordinal);
        Assert.DoesNotContain("secret-query", file, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_anonymous_flood_adds_at_most_the_itemised_lines_and_one_summary_a_minute()
    {
        await using var host = await ApiTestHost.StartAsync(seed: false);
        var attacker = host.Anonymous();
        var analyst = host.As(ApiRoles.Analyst);
        const int flood = 250;
        for (int i = 0; i < flood; i++)
        {
            using var r = await (i % 10 == 9 ? analyst.GetAsync("/api/tokens") : attacker.GetAsync("/api/alerts"));
            Assert.True(r.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden, r.StatusCode.ToString());
        }
        var duringFlood = (await host.Audit.ReadAllAsync()).Count(e => e.Action.StartsWith("api.denied", StringComparison.Ordinal));

        host.Time.Advance(TimeSpan.FromSeconds(61));
        using (await attacker.GetAsync("/api/alerts")) { }
        var after = (await host.Audit.ReadAllAsync()).Where(e => e.Action.StartsWith("api.denied", StringComparison.Ordinal)).ToList();

        Assert.Equal(DeniedCallAudit.ItemisedPerMinute, duringFlood);
        Assert.Equal(DeniedCallAudit.ItemisedPerMinute + 2, after.Count);
        var summary = after[DeniedCallAudit.ItemisedPerMinute];
        Assert.Equal("api.denied.summary", summary.Action);
        // 250 refusals: 225 anonymous (401) and 25 analyst calls to an admin endpoint (403); the first 20 were itemised (18 + 2).
        Assert.Equal("230 refused calls not itemised (401: 207, 403: 23) from 1 client addresses; 20 itemised above", summary.Details["detail"]);
        Assert.Equal("api.denied", after[^1].Action);
    }
}
