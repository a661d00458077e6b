using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Siem.Api.Auth;
using Siem.Lineage.Purge;

namespace Siem.Api.Tests;

public sealed class LineageAndPurgeEndpointTests
{
    [Fact]
    public async Task An_alerts_lineage_lists_the_stored_copies_of_its_records_from_file_to_index()
    {
        await using var host = await ApiTestHost.StartAsync(lineageAndPurges: true);
        var analyst = host.As(ApiRoles.Analyst);
        var id = await AlertEndpointTests.AlertIdAsync(analyst, "203.0.113.45");

        var lineage = await analyst.GetFromJsonAsync<JsonElement>($"/api/lineage/alerts/{id}");
        var recordId = lineage.GetProperty("records")[0].GetProperty("record_id").GetString();
        var record = await analyst.GetFromJsonAsync<JsonElement>($"/api/lineage/records/{recordId}");
        using var unknown = await analyst.GetAsync("/api/lineage/alerts/no-such-alert");

        Assert.Equal(30, lineage.GetProperty("records_total").GetInt32());
        var copy = lineage.GetProperty("records")[0];
        Assert.Equal("file", copy.GetProperty("source_kind").GetString());
        Assert.Equal(RepoPaths.AuthLog, copy.GetProperty("source").GetString());
        Assert.Equal(ApiTestHost.AgentId, copy.GetProperty("agent_id").GetString());
        Assert.Equal("SIEM_EVENTS", copy.GetProperty("stream").GetString());
        Assert.Equal("sqlite", copy.GetProperty("index").GetString());
        Assert.Equal([id], record.GetProperty("alerts").EnumerateArray().Select(a => a.GetProperty("alert_id").GetString()));
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
    }

    [Fact]
    public async Task A_subject_lookup_counts_what_the_ledger_holds_and_is_audited_by_pseudonym_only()
    {
        await using var host = await ApiTestHost.StartAsync(lineageAndPurges: true);
        var compliance = host.As(ApiRoles.Compliance);

        using var response = await compliance.PostAsJsonAsync("/api/lineage/subject", new { selector = "source.ip=203.0.113.45" });
        using var bad = await compliance.PostAsJsonAsync("/api/lineage/subject", new { selector = "203.0.113.45" });
        using var analyst = await host.As(ApiRoles.Analyst).PostAsJsonAsync("/api/lineage/subject", new { selector = "source.ip=203.0.113.45" });

        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(60, body.GetProperty("records_total").GetInt32());
        Assert.Contains(body.GetProperty("alerts").EnumerateArray(), a => a.GetProperty("rule_id").GetString() == "81e7a567-a87a-4a69-8c3a-cd004cd81081");
        Assert.Equal(60, body.GetProperty("places")[0].GetProperty("records").GetInt32());
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, analyst.StatusCode);
        var audit = (await host.Audit.ReadAllAsync()).Where(e => e.Action == "lineage.subject_lookup").ToList();
        Assert.Equal("subject/" + body.GetProperty("subject_id").GetString(), audit[0].Target);
        Assert.DoesNotContain(audit, e => e.Target.Contains("203.0.113.45", StringComparison.Ordinal) || e.Details.Values.Any(v => v.Contains("203.0.113.45", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task A_purge_is_filed_approved_by_a_second_officer_run_in_the_background_and_certified()
    {
        await using var host = await ApiTestHost.StartAsync(lineageAndPurges: true);
        var casey = host.As(ApiRoles.Compliance, name: "casey");
        var robin = host.As(ApiRoles.Compliance, name: "robin");
        var analyst = host.As(ApiRoles.Analyst);
        Assert.Equal(60, (await analyst.GetFromJsonAsync<JsonElement>("/api/search?q=source.ip:203.0.113.45&kind=events")).GetProperty("total").GetInt64());

        using var created = await casey.PostAsJsonAsync("/api/purges", new { selector = "source.ip=203.0.113.45", reason = "erasure request ER-7" });
        var job = await created.Content.ReadFromJsonAsync<JsonElement>();
        string id = job.GetProperty("id").GetString()!;
        using var selfApproval = await casey.PostAsync($"/api/purges/{id}/approve", null);
        using var noCertificateYet = await casey.GetAsync($"/api/purges/{id}/certificate");
        using var approved = await robin.PostAsync($"/api/purges/{id}/approve", null);
        await host.Purges!.WhenDoneAsync(id).WaitAsync(TimeSpan.FromSeconds(30));
        var status = await casey.GetFromJsonAsync<JsonElement>($"/api/purges/{id}");
        using var certificate = await casey.GetAsync($"/api/purges/{id}/certificate");
        var listed = await casey.GetStringAsync("/api/purges");

        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Equal("requested", job.GetProperty("state").GetString());
        Assert.Equal(HttpStatusCode.Conflict, selfApproval.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, noCertificateYet.StatusCode);
        Assert.Equal(HttpStatusCode.OK, approved.StatusCode);
        Assert.True(status.GetProperty("state").GetString() == "certified", "purge did not certify: " + status);
        // 60 auth.log lines with it as source.ip, plus the 2 auditd records that carry the address in their text.
        Assert.Equal(62, status.GetProperty("records").GetInt32());
        Assert.Equal(["robin"], status.GetProperty("approvals").EnumerateArray().Select(a => a.GetProperty("by").GetString()));
        Assert.Equal("application/json", certificate.Content.Headers.ContentType?.MediaType);
        string certText = await certificate.Content.ReadAsStringAsync();
        Assert.Null(PurgeCertificate.CheckSignature(certText, null));
        Assert.DoesNotContain("203.0.113.45", certText, StringComparison.Ordinal);
        Assert.DoesNotContain("203.0.113.45", listed, StringComparison.Ordinal);
        Assert.Equal(0, (await analyst.GetFromJsonAsync<JsonElement>("/api/search?q=source.ip:203.0.113.45&kind=events")).GetProperty("total").GetInt64());
        Assert.Equal(0, (await analyst.GetFromJsonAsync<JsonElement>("/api/search?q=%22203.0.113.45%22&kind=events")).GetProperty("total").GetInt64());
        var apiAudit = (await host.Audit.ReadAllAsync()).Where(e => e.Details.GetValueOrDefault("via") == "api").Select(e => (e.Action, e.Details["status"])).ToList();
        Assert.Equal([("purge.create", "201"), ("purge.approve", "409"), ("purge.approve", "200")], apiAudit);
    }

    [Fact]
    public async Task Purge_requests_need_a_selector_and_a_reason_and_unknown_or_malformed_ids_are_404()
    {
        await using var host = await ApiTestHost.StartAsync(seed: false, lineageAndPurges: true);
        var compliance = host.As(ApiRoles.Compliance);

        using var noSelector = await compliance.PostAsJsonAsync("/api/purges", new { reason = "x" });
        using var noReason = await compliance.PostAsJsonAsync("/api/purges", new { selector = "user.name=alice" });
        using var unknown = await compliance.GetAsync("/api/purges/purge-20260101T000000-abcdef01");
        using var traversal = await compliance.GetAsync("/api/purges/..%2F..%2Fapi%2Ftokens");
        using var analyst = await host.As(ApiRoles.Analyst).PostAsJsonAsync("/api/purges", new { selector = "user.name=alice", reason = "x" });

        Assert.Equal(HttpStatusCode.BadRequest, noSelector.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, noReason.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, traversal.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, analyst.StatusCode);
        Assert.Empty((await compliance.GetFromJsonAsync<JsonElement>("/api/purges")).GetProperty("purges").EnumerateArray());
    }
}
