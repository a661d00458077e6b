using System.Text.Json.Nodes;
using Siem.Lineage.Audit;
using Siem.Lineage.Purge;

namespace Siem.Lineage.Tests;

/// <summary>The purge job as a durable state machine: crash and resume, the two-person rule, the certificate's signature.</summary>
public sealed class PurgeJobTests
{
    private const string Ip = "10.4.4.4";

    [Fact]
    public async Task A_purge_stopped_after_a_step_resumes_from_the_next_step_and_certifies()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(25));
        await using var h = await PurgeHarness.StartAsync();
        h.StartEngine();
        await h.PublishAsync(PurgeHarness.Record("r1", "dave", Ip, 1), PurgeHarness.Record("r2", "erin", "10.4.4.5", 2));
        await h.WaitIndexedAsync(2, cts.Token);
        await h.StopEngineAsync();
        await h.PublishAsync(PurgeHarness.Record("r3", "dave", Ip, 3));

        var first = h.Coordinator(new PurgeOptions { StopAfterStep = "index" });
        var job = await first.RequestAsync("source.ip", Ip, "dpo", "request 42", cancellationToken: cts.Token);
        await Assert.ThrowsAsync<PurgeInterruptedException>(() => first.RunAsync(job.Id, "dpo", cts.Token));
        var stopped = first.Jobs.Load(job.Id);
        Assert.Equal(PurgeJobState.Running, stopped.State);
        Assert.Equal(["forward-filter", "index"], stopped.Steps.Select(s => s.Store));
        Assert.DoesNotContain(Ip, File.ReadAllText(first.Jobs.JobPath(job.Id)), StringComparison.Ordinal);
        Assert.True(File.Exists(first.Jobs.KeyPath(job.Id)));

        // A new process (a new coordinator) resumes: the same job, the remaining steps once each.
        var again = h.Coordinator();
        var same = await again.RequestAsync("source.ip", Ip, "dpo", "request 42", cancellationToken: cts.Token);
        Assert.Equal(job.Id, same.Id);
        var result = await again.RunAsync(job.Id, "dpo", cts.Token);

        Assert.True(result.Verified, string.Join("; ", result.Checks.SelectMany(c => c.Where)));
        Assert.Equal(["forward-filter", "index", "jetstream", "scale-out-contributions", "engine-state", "scale-out-state", "files", "ledger"], result.Job.Steps.Select(s => s.Store));
        Assert.Equal(1, result.Job.Steps.Single(s => s.Store == "jetstream").Erased);
        Assert.Null(result.Job.SealedValue);
        Assert.False(File.Exists(again.Jobs.KeyPath(job.Id)));
        var actions = (await new AuditLog(h.DataDir).ReadAllAsync(cts.Token)).Select(e => e.Action).ToList();
        Assert.Equal(["purge.requested", "purge.approved", "purge.started", "purge.step", "purge.step", "purge.resumed", .. Enumerable.Repeat("purge.step", 6), "purge.certified"], actions);
        Assert.True((await new AuditLog(h.DataDir).VerifyAsync(cts.Token)).Intact);
        Assert.DoesNotContain(Ip, File.ReadAllText(new AuditLog(h.DataDir).Path), StringComparison.Ordinal);
        await Assert.ThrowsAsync<InvalidOperationException>(() => again.RunAsync(job.Id, "dpo", cts.Token));
    }

    [Fact]
    public async Task The_two_person_rule_refuses_the_requester_and_runs_after_another_approval()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(25));
        await using var h = await PurgeHarness.StartAsync();
        var c = h.Coordinator(new PurgeOptions { ApprovalsRequired = 1 });
        var job = await c.RequestAsync("user.name", "frank", "alice.dpo", "ticket 7", cancellationToken: cts.Token);

        Assert.Equal(PurgeJobState.Requested, job.State);
        await Assert.ThrowsAsync<InvalidOperationException>(() => c.RunAsync(job.Id, "alice.dpo", cts.Token));
        var self = await Assert.ThrowsAsync<InvalidOperationException>(() => c.ApproveAsync(job.Id, "ALICE.dpo", cts.Token));
        Assert.Contains("two-person", self.Message, StringComparison.Ordinal);
        var approved = await c.ApproveAsync(job.Id, "bob.legal", cts.Token);
        Assert.Equal(PurgeJobState.Approved, approved.State);
        var result = await c.RunAsync(job.Id, "bob.legal", cts.Token);

        Assert.True(result.Verified);
        var approvals = result.Certificate["approvals"]!.AsArray();
        Assert.Equal("bob.legal", approvals.Single()!["by"]!.GetValue<string>());
    }

    [Fact]
    public async Task The_certificate_signature_verifies_and_any_edit_breaks_it()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(25));
        await using var h = await PurgeHarness.StartAsync();
        var c = h.Coordinator();
        var job = await c.RequestAsync("user.name", "gina", "dpo", "reason with ünïcode + \"quotes\"", cancellationToken: cts.Token);
        var result = await c.RunAsync(job.Id, "dpo", cts.Token);
        var text = File.ReadAllText(result.Job.CertificatePath!);

        Assert.Null(PurgeCertificate.CheckSignature(text, h.ServerKey.PublicKey));
        var tampered = JsonNode.Parse(text)!.AsObject();
        tampered["stores"]![1]!["deleted"] = 99;
        Assert.Contains("changed after signing", PurgeCertificate.CheckSignature(tampered.ToJsonString(), h.ServerKey.PublicKey), StringComparison.Ordinal);
        var flipped = JsonNode.Parse(text)!.AsObject();
        flipped["verified"] = false;
        Assert.NotNull(PurgeCertificate.CheckSignature(flipped.ToJsonString(), h.ServerKey.PublicKey));
        var otherKey = Siem.Core.Security.ServerSigningKey.LoadOrCreate(Directory.CreateTempSubdirectory("siem-key-").FullName);
        Assert.Contains("not by this data dir's server key", PurgeCertificate.CheckSignature(text, otherKey.PublicKey), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("10.0.0.1", "from 10.0.0.1 port", 1)]
    [InlineData("10.0.0.1", "from 10.0.0.15 port", 0)]
    [InlineData("10.0.0.1", "ip=10.0.0.1,10.0.0.1.", 2)]
    [InlineData("bob", "user Bob logged in; bobby too", 1)]
    [InlineData("bob", "\"bob\"", 1)]
    public void The_value_matcher_finds_whole_tokens_case_insensitively(string value, string text, int expected)
    {
        var m = new SubjectValueMatcher(value);
        Assert.Equal(expected, m.Count(text));
        Assert.Equal(expected, m.Count(System.Text.Encoding.UTF8.GetBytes(text)));
    }
}
