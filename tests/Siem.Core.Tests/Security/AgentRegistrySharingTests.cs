using Siem.Core.Security;

namespace Siem.Core.Tests.Security;

/// <summary>
/// The registry's side of sharing agents between hosts: how two hosts' records of an agent merge (never un-revoking,
/// newer rotations and reports winning, the first enrollment winning a conflict), what it tells the sync, and how an
/// enrollment waits for the other hosts' word.
/// </summary>
public sealed class AgentRegistrySharingTests : IDisposable
{
    private static readonly DateTimeOffset At = new(2026, 11, 22, 15, 0, 0, TimeSpan.Zero);
    private readonly string _dir = Directory.CreateTempSubdirectory("siem-registry-sharing-").FullName;
    private string PathOf => Path.Combine(_dir, "agents.json");

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static AgentRecord Agent(string id, byte[] key, DateTimeOffset enrolledAt) => new(id, "acme", key, enrolledAt, HostName: "web1");

    private static byte[] Key(string id) => AgentIdentity.Create(id).SigningPublicKey;

    [Fact]
    public void Merging_in_any_order_ends_with_the_same_record_and_a_revocation_on_either_side_is_never_undone()
    {
        var random = new Random(42);
        var key = Key("a");
        var rotated = Key("a");
        for (int round = 0; round < 200; round++)
        {
            // Two views of one enrollment, each with its own revocation, rotation and report.
            var baseRecord = Agent("a", key, At);
            AgentRecord View()
            {
                var r = baseRecord;
                if (random.Next(3) == 0) r = r with { Revoked = true, RevokedAt = At.AddMinutes(random.Next(1, 60)) };
                if (random.Next(3) == 0) r = r with { SigningPublicKey = rotated, PreviousSigningPublicKey = key, SigningKeyRotatedAt = At.AddMinutes(random.Next(1, 60)) };
                if (random.Next(2) == 0) r = r with { EngineKeyId = $"k-{random.Next(5)}", PendingEngineKeyIds = ["k-old"], EngineKeyReportedAt = At.AddMinutes(random.Next(1, 60)) };
                return r;
            }
            var local = View();
            var shared = View();

            var (one, conflictOne) = AgentRecordMerge.Merge(local, shared);
            var (two, _) = AgentRecordMerge.Merge(shared, local);
            var (again, _) = AgentRecordMerge.Merge(one, shared);

            Assert.False(conflictOne);
            Assert.Equal(local.Revoked || shared.Revoked, one.Revoked);
            Assert.True(AgentRecordMerge.SameContent(one, again), $"round {round}: merging twice changed the record");
            // The views agree on everything their timestamps decide (ties are broken towards the shared side).
            Assert.Equal(one.Revoked, two.Revoked);
            if (local.SigningKeyRotatedAt != shared.SigningKeyRotatedAt) Assert.Equal(one.SigningPublicKey, two.SigningPublicKey);
            if (local.EngineKeyReportedAt != shared.EngineKeyReportedAt) Assert.Equal(one.EngineKeyId, two.EngineKeyId);
            if (one.Revoked) Assert.Equal(new[] { local, shared }.Where(r => r.Revoked).Min(r => r.RevokedAt), one.RevokedAt);
        }
    }

    [Fact]
    public void Two_enrollments_of_one_id_are_a_conflict_the_shared_one_wins_and_a_local_revocation_stays()
    {
        var local = Agent("x", Key("x"), At) with { Revoked = true, RevokedAt = At.AddHours(1) };
        var shared = Agent("x", Key("x"), At.AddMinutes(5)) with { HostName = "web2" };

        var (merged, conflict) = AgentRecordMerge.Merge(local, shared);

        Assert.True(conflict);
        Assert.Equal(shared.SigningPublicKey, merged.SigningPublicKey);
        Assert.Equal("web2", merged.HostName);
        Assert.True(merged.Revoked);
        Assert.Equal(At.AddHours(1), merged.RevokedAt);
    }

    [Fact]
    public void A_rotation_made_on_another_host_replaces_the_key_and_keeps_the_replaced_one_for_its_grace_period()
    {
        var oldKey = Key("r");
        var newKey = Key("r");
        var local = Agent("r", oldKey, At);
        var shared = local with { SigningPublicKey = newKey, PreviousSigningPublicKey = oldKey, PreviousKeyValidUntil = At.AddDays(1), SigningKeyRotatedAt = At.AddHours(2), EnrolledAt = At.AddSeconds(1) };

        var (merged, conflict) = AgentRecordMerge.Merge(local, shared);

        Assert.False(conflict);
        Assert.Equal(newKey, merged.SigningPublicKey);
        Assert.Equal(oldKey, merged.PreviousSigningPublicKey);
        Assert.Equal(At.AddDays(1), merged.PreviousKeyValidUntil);
    }

    [Fact]
    public void A_shared_revocation_is_written_at_once_and_told_while_a_newer_report_alone_waits_for_the_coalesced_write()
    {
        using var registry = new AgentRegistry(PathOf, reportFlushDelay: TimeSpan.FromHours(1));
        var key = Key("a");
        var enrolled = registry.Register("a", key, "acme", "web1");
        var told = new List<string>();
        registry.Changed += ids => told.AddRange(ids);
        long writes = registry.FileWrites;

        var report = registry.MergeShared(enrolled with { EngineKeyId = "k-2", EngineKeyReportedAt = At });
        Assert.Equal(SharedAgentMergeOutcome.Updated, report.Outcome);
        Assert.Equal(writes, registry.FileWrites);
        Assert.Equal(1, registry.PendingReports);
        Assert.True(registry.TryGet("a", out var seen) && seen.EngineKeyId == "k-2");
        Assert.Empty(told);

        var revoked = registry.MergeShared(enrolled with { Revoked = true, RevokedAt = At.AddMinutes(1) });
        Assert.Equal(SharedAgentMergeOutcome.Revoked, revoked.Outcome);
        Assert.Equal(writes + 1, registry.FileWrites);
        Assert.Equal(["a"], told);
        using var onDisk = new AgentRegistry(PathOf);
        Assert.True(onDisk.TryGet("a", out var cached));
        Assert.True(cached.Revoked);
        Assert.Equal("k-2", cached.EngineKeyId); // the waiting report went into the same write

        // An older view of the agent (not revoked) changes nothing.
        Assert.Equal(SharedAgentMergeOutcome.Unchanged, registry.MergeShared(enrolled).Outcome);
        Assert.True(registry.TryGet("a", out var still) && still.Revoked);
    }

    [Fact]
    public void A_host_catching_up_takes_in_hundreds_of_agents_with_one_write()
    {
        using var registry = new AgentRegistry(PathOf, reportFlushDelay: TimeSpan.FromHours(1));
        var mine = registry.Register("mine", Key("mine"), "acme");
        Assert.True(registry.ReportEngineKeys("mine", "k-2", [], At));
        var told = new List<string>();
        registry.Changed += ids => told.AddRange(ids);
        long writes = registry.FileWrites;
        var theirs = Enumerable.Range(0, 300).Select(i => Agent($"a-{i:D3}", Key("a"), At)).ToList();

        var merges = registry.MergeShared([.. theirs, mine with { Revoked = true, RevokedAt = At }]);

        Assert.Equal(writes + 1, registry.FileWrites);
        Assert.Equal(300, merges.Count(m => m.Outcome == SharedAgentMergeOutcome.Added));
        Assert.Equal(SharedAgentMergeOutcome.Revoked, merges[^1].Outcome);
        Assert.Equal(301, told.Count);
        using var onDisk = new AgentRegistry(PathOf);
        Assert.Equal(301, onDisk.All.Count);
        Assert.True(onDisk.TryGet("mine", out var cached) && cached.Revoked && cached.EngineKeyId == "k-2");
        Assert.Equal(0, registry.PendingReports);
    }

    [Fact]
    public void Changes_made_by_another_process_on_the_same_file_are_told_when_it_is_read_again()
    {
        using var registry = new AgentRegistry(PathOf);
        registry.Register("a", Key("a"), "acme");
        registry.Register("b", Key("b"), "acme");
        var told = new List<string>();
        registry.Changed += ids => told.AddRange(ids);

        using (var api = new AgentRegistry(PathOf)) Assert.True(api.Revoke("b"));
        registry.Refresh();

        Assert.Equal(["b"], told);
    }

    [Fact]
    public void An_enrollment_the_other_hosts_gave_to_another_key_is_refused_and_nothing_is_recorded()
    {
        using var registry = new AgentRegistry(PathOf);
        var theirs = Agent("x", Key("x"), At) with { HostName = "web2" };
        registry.EnrollmentClaim = _ => theirs;

        var refused = Assert.Throws<AgentEnrollmentConflictException>(() => registry.Register("x", Key("x"), "acme"));
        Assert.Equal("agent id 'x' is already enrolled with a different key (host web2); revoke it first or choose another id", refused.Message);
        Assert.False(registry.TryGet("x", out _));
        Assert.False(File.Exists(PathOf));

        // Through the enrollment authority, the agent is told the same.
        var authority = new EnrollmentAuthority(registry, EngineKeyPair.Create(), ["token-0123456789abcdef"]);
        var answer = authority.Handle(new EnrollmentMessages.Request("token-0123456789abcdef", "x", "web1", Convert.ToBase64String(Key("x")), "acme"));
        Assert.False(answer.Ok);
        Assert.Equal(refused.Message, answer.Error);
    }

    [Fact]
    public void Re_enrolling_with_the_same_key_keeps_the_shared_record_and_a_revoked_one_is_refused()
    {
        using var registry = new AgentRegistry(PathOf);
        var key = Key("x");
        var theirs = Agent("x", key, At) with { HostName = "web2" };
        registry.EnrollmentClaim = _ => theirs;

        var recorded = registry.Register("x", key, "acme", "web1");
        Assert.True(AgentRecordMerge.SameContent(theirs, recorded));

        registry.EnrollmentClaim = _ => theirs with { Revoked = true, RevokedAt = At };
        var refused = Assert.Throws<InvalidOperationException>(() => registry.Register("y", Key("y"), "acme"));
        Assert.Equal("the enrollment claim for 'y' answered for 'x'", refused.Message);
        var revoked = Assert.Throws<InvalidOperationException>(() => registry.Register("x", key, "acme"));
        Assert.Equal("agent 'x' is revoked; enroll it under a new agent id", revoked.Message);
    }

    [Fact]
    public void An_agent_unknown_here_is_looked_up_in_the_shared_registry_and_recorded()
    {
        using var registry = new AgentRegistry(PathOf);
        var theirs = Agent("new", Key("new"), At) with { HostName = "web2" };
        var asked = new List<string>();
        registry.SharedLookup = id => { asked.Add(id); return id == "new" ? theirs : null; };

        Assert.True(registry.TryGet("new", out var found));
        Assert.True(AgentRecordMerge.SameContent(theirs, found));
        Assert.False(registry.TryGet("other", out _));
        Assert.True(registry.TryGet("new", out _));

        Assert.Equal(["new", "other"], asked); // known from then on: not asked again
        using var onDisk = new AgentRegistry(PathOf);
        Assert.True(onDisk.TryGet("new", out var cached) && cached.HostName == "web2");
    }

    [Fact]
    public void Shared_values_that_are_not_agent_records_are_rejected()
    {
        var record = Agent("a", Key("a"), At) with { EngineKeyId = "k-1", PendingEngineKeyIds = ["k-0"], EngineKeyReportedAt = At };
        Assert.True(AgentRecordMerge.SameContent(record, AgentRegistry.DecodeShared(AgentRegistry.EncodeShared(record))));
        Assert.Null(AgentRegistry.DecodeShared("not json"u8));
        Assert.Null(AgentRegistry.DecodeShared("""{"agent_id":"a b","tenant":"acme","signing_public_key":"AAAA","enrolled_at":"2026-11-22T15:00:00Z"}"""u8));
        Assert.Null(AgentRegistry.DecodeShared("""{"agent_id":"a","tenant":"acme","signing_public_key":"AAAA","enrolled_at":"2026-11-22T15:00:00Z"}"""u8));
    }
}
