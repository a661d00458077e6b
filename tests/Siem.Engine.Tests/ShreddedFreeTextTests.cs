using System.Text;
using NodaTime;
using Siem.Core.Events;
using Siem.Engine.Index;
using Siem.Engine.Search;
using Siem.Lineage.Shredding;
using Siem.Lineage.Subjects;

namespace Siem.Engine.Tests;

/// <summary>
/// Issue #6: a crypto-shredded value also shows in the record's message and original line. The index stores that text
/// with the value replaced by <c>[field]</c> and keeps the text as read sealed under the subjects' keys, so the files
/// never hold the value, search keeps working for everyone, and a purge (key destroyed) leaves only the redacted text.
/// </summary>
public sealed class ShreddedFreeTextTests : IDisposable
{
    private const string Alice = "alice@example.org", Bob = "bob@example.org";
    private readonly string _dir = Directory.CreateTempSubdirectory("siem-shred-text-").FullName;
    private readonly CancellationTokenSource _timeout = new(TimeSpan.FromSeconds(25));

    public void Dispose()
    {
        _timeout.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    private static LogEvent Login(string id, string user, string? email, string ip)
    {
        string who = email ?? user;
        var e = new LogEvent
        {
            RecordId = id, AgentId = "agent-1", Timestamp = Instant.FromUtc(2026, 11, 22, 10, 0),
            Original = $"Nov 22 10:00:00 mail1 dovecot: auth failed for {who} rip={ip}",
        };
        e.Set(EcsFields.Message, $"auth failed for {who} rip={ip}");
        e.Set(EcsFields.UserName, user);
        if (email != null) e.Set(EcsFields.UserEmail, email);
        e.Set(EcsFields.SourceIp, ip);
        return e;
    }

    private async Task<IReadOnlyList<SearchHit>> SearchAsync(SqliteIndexSink sink, string query) =>
        await sink.SearchAsync(new SearchRequest { Query = SearchQueryParser.Parse(query), Limit = 50 }, _timeout.Token);

    private string StoredBytes()
    {
        var sb = new StringBuilder();
        foreach (var f in Directory.EnumerateFiles(_dir, "*", SearchOption.AllDirectories)) sb.Append(Encoding.Latin1.GetString(File.ReadAllBytes(f)));
        return sb.ToString();
    }

    [Fact]
    public async Task The_index_stores_free_text_without_the_protected_value_finds_it_through_the_blind_index_and_a_destroyed_key_leaves_the_redacted_text()
    {
        using var keys = SqliteSubjectKeyStore.Open(_dir);
        await using (var sink = SqliteIndexSink.Open(_dir, FieldProtector.Open(_dir, keys)))
        {
            await sink.WriteAsync([Login("r1", "alice", "Alice@Example.org", "203.0.113.7"), Login("r2", "root", null, "198.51.100.9")], [], _timeout.Token);

            var byValue = Assert.Single(await SearchAsync(sink, $"\"{Alice}\""));
            Assert.Equal("r1", byValue.Id);
            Assert.Equal("Nov 22 10:00:00 mail1 dovecot: auth failed for Alice@Example.org rip=203.0.113.7", byValue.Event!.Original);
            Assert.Equal("auth failed for Alice@Example.org rip=203.0.113.7", byValue.Event.Get(EcsFields.Message));
            Assert.False(byValue.Event.Fields.ContainsKey(FieldProtector.SealedTextField));
            Assert.Equal(["r1", "r2"], (await SearchAsync(sink, "\"auth failed\"")).Select(h => h.Id).Order());
            Assert.Equal("r2", Assert.Single(await SearchAsync(sink, "root")).Id);
            Assert.Equal("r1", Assert.Single(await SearchAsync(sink, "203.0.113.7")).Id);
            await sink.CompactAsync(_timeout.Token);
        }
        var disk = StoredBytes();
        Assert.DoesNotContain(Alice, disk, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("auth failed for [user.email] rip=203.0.113.7", disk, StringComparison.Ordinal);
        Assert.Contains("auth failed for root rip=198.51.100.9", disk, StringComparison.Ordinal);

        Assert.True(await keys.DestroyKeyAsync(SubjectPseudonymizer.Open(_dir).SubjectId(EcsFields.UserEmail, Alice), _timeout.Token));
        await using (var sink = SqliteIndexSink.Open(_dir, FieldProtector.Open(_dir, keys)))
        {
            var hits = await SearchAsync(sink, "\"auth failed\"");
            var alice = Assert.Single(hits, h => h.Id == "r1").Event!;
            Assert.Equal("Nov 22 10:00:00 mail1 dovecot: auth failed for [user.email] rip=203.0.113.7", alice.Original);
            Assert.Equal("auth failed for [user.email] rip=203.0.113.7", alice.Get(EcsFields.Message));
            Assert.Equal(IndexFieldProtection.ShreddedMarker, alice.Get(EcsFields.UserEmail));
            Assert.Equal("Nov 22 10:00:00 mail1 dovecot: auth failed for root rip=198.51.100.9", Assert.Single(hits, h => h.Id == "r2").Event!.Original);
        }
    }

    [Fact]
    public async Task Text_naming_two_subjects_is_sealed_under_both_keys_and_destroying_either_shreds_it()
    {
        using var keys = SqliteSubjectKeyStore.Open(_dir);
        var protector = FieldProtector.Open(_dir, keys);
        var e = Login("r1", "alice", null, "203.0.113.7");
        e.Fields[EcsFields.UserEmail] = new[] { Alice, Bob };
        e.Set(EcsFields.Message, $"forwarded from {Alice} to {Bob}");

        string stored = await protector.SealTextAsync(e, _timeout.Token);

        Assert.Equal("Nov 22 10:00:00 mail1 dovecot: auth failed for alice rip=203.0.113.7", stored); // the line names no e-mail
        Assert.Equal("forwarded from [user.email] to [user.email]", e.Get(EcsFields.Message));
        var sealedText = (string)e.Fields[FieldProtector.SealedTextField];
        Assert.Equal(($"Nov 22 10:00:00 mail1 dovecot: auth failed for alice rip=203.0.113.7", $"forwarded from {Alice} to {Bob}"), await protector.RevealTextAsync(sealedText, _timeout.Token));
        var tampered = sealedText[..^6] + (sealedText[^6] == 'A' ? 'B' : 'A') + sealedText[^5..];
        await Assert.ThrowsAsync<FormatException>(async () => await protector.RevealTextAsync(tampered, _timeout.Token));

        Assert.True(await keys.DestroyKeyAsync(SubjectPseudonymizer.Open(_dir).SubjectId(EcsFields.UserEmail, Bob), _timeout.Token));
        Assert.Null(await protector.RevealTextAsync(sealedText, _timeout.Token));
    }

    [Fact]
    public async Task Free_text_plaintext_in_the_data_dirs_shredding_file_keeps_the_text_as_read_and_a_bad_setting_names_the_file()
    {
        Directory.CreateDirectory(Path.GetDirectoryName(ShreddingOptions.PathIn(_dir))!);
        await File.WriteAllTextAsync(ShreddingOptions.PathIn(_dir), """{"free_text": "plaintext"}""", _timeout.Token);
        using var keys = SqliteSubjectKeyStore.Open(_dir);
        var protector = FieldProtector.Open(_dir, keys);
        var e = Login("r1", "alice", Alice, "203.0.113.7");

        Assert.False(protector.SealFreeText);
        Assert.Same(e.Original, await protector.SealTextAsync(e, _timeout.Token));
        Assert.False(e.Fields.ContainsKey(FieldProtector.SealedTextField));
        Assert.Equal($"auth failed for {Alice} rip=203.0.113.7", e.Get(EcsFields.Message));

        await File.WriteAllTextAsync(ShreddingOptions.PathIn(_dir), """{"free_text": "encrypted"}""", _timeout.Token);
        var error = Assert.Throws<InvalidDataException>(() => ShreddingOptions.Load(_dir));
        Assert.Contains("shredding.json", error.Message, StringComparison.Ordinal);
        Assert.Contains("\"free_text\" is 'encrypted'", error.Message, StringComparison.Ordinal);
    }
}
