using System.Text;
using Siem.Lineage.Audit;

namespace Siem.Lineage.Tests;

public sealed class AuditLogTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("siem-audit-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static Dictionary<string, string> Details(params (string K, string V)[] kv) => kv.ToDictionary(x => x.K, x => x.V, StringComparer.Ordinal);

    [Fact]
    public async Task Appended_entries_chain_and_verify()
    {
        var log = new AuditLog(_dir);
        var a = await log.AppendAsync("dpo@example.org", "purge.requested", "purge/p1", Details(("subject_id", "abc"), ("reason", "GDPR art. 17")));
        var b = await log.AppendAsync("second@example.org", "purge.approved", "purge/p1");
        var c = await new AuditLog(_dir).AppendAsync("siem", "purge.certified", "purge/p1", Details(("verified", "true")));

        Assert.Equal([1L, 2L, 3L], new[] { a.Seq, b.Seq, c.Seq });
        Assert.Equal(new string('0', 64), a.PrevHash);
        Assert.Equal(a.Hash, b.PrevHash);
        Assert.Equal(b.Hash, c.PrevHash);
        var v = await log.VerifyAsync();
        Assert.True(v.Intact, v.Problem);
        Assert.Equal(3, v.Entries);
        Assert.Equal(c.Hash, v.LastHash);
        Assert.Equal(3, (await log.ReadAllAsync()).Count);
    }

    [Fact]
    public async Task An_edited_line_is_detected_at_its_seq_and_line()
    {
        var log = new AuditLog(_dir);
        for (int i = 0; i < 5; i++) await log.AppendAsync("dpo", "purge.requested", $"purge/p{i}", Details(("reason", $"case {i}")));
        var lines = await File.ReadAllLinesAsync(log.Path);
        lines[2] = lines[2].Replace("case 2", "case X", StringComparison.Ordinal);
        await File.WriteAllLinesAsync(log.Path, lines);

        var v = await log.VerifyAsync();

        Assert.False(v.Intact);
        Assert.Equal(3, v.FirstBrokenSeq);
        Assert.Equal(3, v.FirstBrokenLine);
        Assert.Equal(2, v.Entries);
        Assert.Contains("edited", v.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_removed_line_is_detected()
    {
        var log = new AuditLog(_dir);
        for (int i = 0; i < 4; i++) await log.AppendAsync("dpo", "purge.requested", $"purge/p{i}");
        var lines = (await File.ReadAllLinesAsync(log.Path)).ToList();
        lines.RemoveAt(1);
        await File.WriteAllLinesAsync(log.Path, lines);

        var v = await log.VerifyAsync();

        Assert.False(v.Intact);
        Assert.Equal(2, v.FirstBrokenLine);
        Assert.Equal(3, v.FirstBrokenSeq);
    }

    [Fact]
    public async Task A_rehashed_forgery_still_breaks_the_link_to_the_next_line()
    {
        var log = new AuditLog(_dir);
        await log.AppendAsync("dpo", "purge.requested", "purge/p1");
        await log.AppendAsync("dpo", "purge.requested", "purge/p2");
        await log.AppendAsync("dpo", "purge.requested", "purge/p3");
        var all = await log.ReadAllAsync();
        // Forge line 2 consistently (recomputed hash), as someone without the rest of the chain would.
        var forged = all[1] with { Actor = "mallory" };
        forged = forged with { Hash = AuditCanonical.Hash(forged.Seq, forged.Time, forged.Actor, forged.Action, forged.Target, forged.Details, forged.PrevHash) };
        var lines = await File.ReadAllLinesAsync(log.Path);
        lines[1] = Encoding.UTF8.GetString(AuditCanonical.Line(forged)).TrimEnd('\n');
        await File.WriteAllLinesAsync(log.Path, lines);

        var v = await log.VerifyAsync();

        Assert.False(v.Intact);
        Assert.Equal(3, v.FirstBrokenLine);
        Assert.Contains("prev", v.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_torn_last_line_is_reported_then_kept_aside_and_recorded_by_the_next_append()
    {
        var log = new AuditLog(_dir);
        await log.AppendAsync("dpo", "purge.requested", "purge/p1");
        await log.AppendAsync("dpo", "purge.approved", "purge/p1");
        byte[] torn = Encoding.UTF8.GetBytes("{\"seq\":3,\"time\":\"2026-11-22T0");
        await using (var fs = new FileStream(log.Path, FileMode.Append)) await fs.WriteAsync(torn);

        var before = await log.VerifyAsync();
        Assert.False(before.Intact);
        Assert.Equal(3, before.FirstBrokenLine);
        Assert.Contains("torn", before.Problem, StringComparison.Ordinal);

        var next = await log.AppendAsync("siem", "purge.running", "purge/p1");

        Assert.Equal(4, next.Seq);
        var entries = await log.ReadAllAsync();
        var recovery = entries[2];
        Assert.Equal("audit.torn_tail", recovery.Action);
        Assert.Equal(torn.Length.ToString(System.Globalization.CultureInfo.InvariantCulture), recovery.Details["bytes"]);
        Assert.Equal(torn, await File.ReadAllBytesAsync(Path.Combine(_dir, "audit", recovery.Details["kept_in"])));
        var after = await log.VerifyAsync();
        Assert.True(after.Intact, after.Problem);
        Assert.Equal(4, after.Entries);
    }

    [Fact]
    public async Task Concurrent_appenders_in_two_logs_on_one_file_keep_one_chain()
    {
        var a = new AuditLog(_dir);
        var b = new AuditLog(_dir);
        await Task.WhenAll(Enumerable.Range(0, 40).Select(i => (i % 2 == 0 ? a : b).AppendAsync("dpo", "test.append", $"t/{i}")));

        var v = await a.VerifyAsync();

        Assert.True(v.Intact, v.Problem);
        Assert.Equal(40, v.Entries);
    }

    [Fact]
    public async Task Appending_onto_a_corrupt_last_line_is_refused()
    {
        var log = new AuditLog(_dir);
        await log.AppendAsync("dpo", "purge.requested", "purge/p1");
        await File.AppendAllTextAsync(log.Path, "not json at all\n");

        var ex = await Assert.ThrowsAsync<InvalidDataException>(() => log.AppendAsync("dpo", "purge.approved", "purge/p1"));
        Assert.Contains("audit verify", ex.Message, StringComparison.Ordinal);
    }
}
