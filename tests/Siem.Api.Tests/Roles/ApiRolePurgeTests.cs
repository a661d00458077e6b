using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace Siem.Api.Tests.Roles;

/// <summary>Purges filed through <c>siem serve --roles api</c> while the engine and lineage run in another process.</summary>
public sealed class ApiRolePurgeTests
{
    [Fact]
    public async Task A_purge_filed_and_approved_through_a_separate_api_process_is_certified_and_the_running_engine_drops_the_subjects_later_records()
    {
        await using var roles = await SeparateRoles.StartAsync();
        try
        {
            var casey = await roles.ClientAsync("casey", "compliance");
            var robin = await roles.ClientAsync("robin", "compliance");
            var analyst = await roles.ClientAsync("night shift", "analyst");
            // One batch with both people's records: the stream copy is rewritten without alice's, bob's stay everywhere.
            await roles.PublishAsync(("r1", "alice", "login alice ok"), ("r2", "bob", "login bob ok"), ("r3", "alice", "sudo alice"));
            await roles.PublishAsync(("r4", "bob", "logout bob"));
            await roles.WaitUntilAsync(async () => await roles.CountAsync(analyst, "*") == 4, "the engine indexed 4 events");

            using var created = await casey.PostAsJsonAsync("/api/purges", new { selector = "user.name=alice", reason = "erasure request #4711" }, roles.Timeout.Token);
            var job = await created.Content.ReadFromJsonAsync<JsonElement>(roles.Timeout.Token);
            string id = job.GetProperty("id").GetString()!;
            using var selfApproval = await casey.PostAsync($"/api/purges/{id}/approve", null, roles.Timeout.Token);
            using var approved = await robin.PostAsync($"/api/purges/{id}/approve", null, roles.Timeout.Token);
            JsonElement status = default;
            await roles.WaitUntilAsync(async () =>
            {
                status = await robin.GetFromJsonAsync<JsonElement>($"/api/purges/{id}", roles.Timeout.Token);
                return status.GetProperty("state").GetString() == "certified" || status.GetProperty("last_error").ValueKind == JsonValueKind.String;
            }, "the purge to be certified");
            var certificate = await robin.GetFromJsonAsync<JsonElement>($"/api/purges/{id}/certificate", roles.Timeout.Token);

            // After the purge: alice's record still in flight reaches the engine and is dropped there.
            await roles.PublishAsync(("r5", "alice", "late alice line"), ("r6", "bob", "late bob line"));
            await roles.WaitUntilAsync(async () => await roles.CountAsync(analyst, "user.name:bob") == 3, "bob's late record indexed");

            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
            Assert.Equal("requested", job.GetProperty("state").GetString());
            Assert.Equal(HttpStatusCode.Conflict, selfApproval.StatusCode);
            Assert.Equal(HttpStatusCode.OK, approved.StatusCode);
            Assert.Equal("certified", status.GetProperty("state").GetString());
            Assert.True(status.GetProperty("verified").GetBoolean(), roles.Logs());
            Assert.Equal(2, status.GetProperty("records").GetInt32());
            Assert.True(certificate.GetProperty("verified").GetBoolean());
            Assert.Equal(id, certificate.GetProperty("purge_id").GetString());
            Assert.DoesNotContain("alice", certificate.GetRawText(), StringComparison.Ordinal);
            Assert.Equal(0, await roles.CountAsync(analyst, "user.name:alice"));
            Assert.Equal(0, await roles.CountAsync(analyst, "alice"));
            Assert.Equal(3, await roles.CountAsync(analyst, "user.name:bob"));
        }
        catch (Exception ex) when (ex is not Xunit.Sdk.XunitException and not TimeoutException and not InvalidOperationException)
        {
            throw new InvalidOperationException("roles' output:\n" + roles.Logs(), ex);
        }
    }
}
