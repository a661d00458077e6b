using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace Siem.Api.Tests.Roles;

/// <summary>
/// The layout of the systemd units (<c>siem@engine</c>, <c>siem@lineage</c>, <c>siem@api</c>): each role in its own
/// process over one data dir. With <c>engine.report_lineage: true</c> the engine reports its hops to SIEM_LINEAGE and
/// the lineage process stores them, so a compliance officer sees where a record went.
/// </summary>
public sealed class LineageApartTests
{
    [Fact]
    public async Task An_engine_process_without_the_lineage_role_reports_lineage_that_the_lineage_process_stores()
    {
        await using var roles = await SeparateRoles.StartAsync(lineageApart: true);
        using var compliance = await roles.ClientAsync("first day", "compliance");
        await roles.PublishAsync(("rec-1", "alice", "Accepted password for alice"), ("rec-2", "bob", "Accepted password for bob"));

        JsonElement record = default;
        await roles.WaitUntilAsync(async () =>
        {
            await Task.Delay(250, CancellationToken.None);
            using var response = await compliance.GetAsync("/api/lineage/records/rec-1", CancellationToken.None);
            if (response.StatusCode == HttpStatusCode.NotFound) return false;
            response.EnsureSuccessStatusCode();
            record = await response.Content.ReadFromJsonAsync<JsonElement>(CancellationToken.None);
            return record.GetProperty("copies").GetArrayLength() > 0;
        }, "the lineage of rec-1 in the ledger the lineage process writes");

        var copy = Assert.Single(record.GetProperty("copies").EnumerateArray());
        Assert.Equal(roles.AgentId, copy.GetProperty("agent_id").GetString());
        Assert.Equal("SIEM_EVENTS", copy.GetProperty("stream").GetString());
        Assert.Equal("sqlite:" + Path.Combine(roles.DataDir, "index.db"), copy.GetProperty("index").GetString());
        await roles.WaitForLogAsync("engine", "reporting lineage to SIEM_LINEAGE for a lineage role in another process");
    }
}
