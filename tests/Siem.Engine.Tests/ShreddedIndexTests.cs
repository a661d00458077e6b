using System.Text.Json;
using Microsoft.Data.Sqlite;
using NodaTime;
using Siem.Core.Events;
using Siem.Engine.Index;
using Siem.Engine.Search;
using Siem.Lineage.Shredding;
using Siem.Lineage.Subjects;

namespace Siem.Engine.Tests;

/// <summary>Crypto-shredding through the real pipeline into a real SQLite index (issue #6 item 4).</summary>
public sealed class ShreddedIndexTests
{
    private static LogEvent Login(string id, int second, string email)
    {
        var e = new LogEvent
        {
            RecordId = id,
            AgentId = "agent-1",
            Timestamp = Instant.FromUtc(2026, 11, 22, 4, 0, second),
            Original = $"Nov 22 04:00:{second:D2} web1 app: login ok for {email}",
        };
        e.Set(EcsFields.Message, e.Original);
        e.Set(EcsFields.UserEmail, email);
        e.Set(EcsFields.UserName, email.Split('@')[0]);
        return e;
    }

    /// <summary>The user.email value as stored in the index row (the <c>message</c> column holds the line as read, so a
    /// byte scan of the file would find the address there; the structured field is what shredding covers).</summary>
    private static JsonElement StoredFields(string dataDir, string recordId)
    {
        using var conn = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = Path.Combine(dataDir, "index.db"), Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString());
        conn.Open();
        using var cmd = conn.CreateCommand();
        cmd.CommandText = "SELECT fields FROM events_20261122 WHERE record_id = $id";
        cmd.Parameters.AddWithValue("$id", recordId);
        return JsonDocument.Parse((string)cmd.ExecuteScalar()!).RootElement.Clone();
    }

    private static async Task<List<SearchHit>> EventsAsync(PipelineHarness h, string query) =>
        [.. await h.Index.SearchAsync(SearchRequest.Parse(query) with { IncludeAlerts = false }, h.Timeout.Token)];

    [Fact]
    public async Task Indexed_emails_are_ciphertext_found_through_the_blind_index_and_shredded_when_the_key_is_destroyed()
    {
        SqliteSubjectKeyStore? keys = null;
        await using var h = await PipelineHarness.StartAsync(protector: dir => FieldProtector.Open(dir, keys = SqliteSubjectKeyStore.Open(dir)));
        using var ownedKeys = keys!;
        await h.PublishAsync(h.Seal(1, [Login("bob1", 1, "bob@example.org"), Login("alice1", 2, "alice@example.org")]));
        await h.WaitUntilAsync(async () => await h.CountAsync() == 2, "both records indexed");

        var bobStored = StoredFields(h.DataDir, "bob1");
        var stored = bobStored.GetProperty("user.email").GetString()!;
        Assert.StartsWith(FieldProtector.Prefix, stored, StringComparison.Ordinal);
        Assert.DoesNotContain("bob", stored, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(32, bobStored.GetProperty("user.email.bidx").GetString()!.Length);
        Assert.Equal("bob", bobStored.GetProperty("user.name").GetString());

        // Exact search (canonical: case does not matter) goes through the blind index; the hit shows the plaintext.
        var bob = Assert.Single(await EventsAsync(h, "user.email:Bob@Example.org"));
        Assert.Equal("bob1", bob.Id);
        Assert.Equal("bob@example.org", bob.Event!.Get(EcsFields.UserEmail));
        Assert.False(bob.Event.Fields.ContainsKey("user.email.bidx"));
        Assert.Equal(2, await h.CountAsync("user.email:*"));
        Assert.Equal(1, await h.CountAsync("user.email:alice@example.org AND NOT user.email:bob@example.org"));
        Assert.Throws<SearchQueryException>(() => { _ = h.Index.SearchAsync(SearchRequest.Parse("user.email:bob*")); });

        Assert.True(await keys!.DestroyKeyAsync(SubjectPseudonymizer.Open(h.DataDir).SubjectId(EcsFields.UserEmail, "bob@example.org")));

        var shredded = Assert.Single(await EventsAsync(h, "user.email:bob@example.org"));
        Assert.Equal(SqliteIndexSink.ShreddedMarker, shredded.Event!.Get(EcsFields.UserEmail));
        Assert.Equal(stored, StoredFields(h.DataDir, "bob1").GetProperty("user.email").GetString());
        var alice = Assert.Single(await EventsAsync(h, "user.email:alice@example.org"));
        Assert.Equal("alice@example.org", alice.Event!.Get(EcsFields.UserEmail));
    }

    [Fact]
    public async Task The_sink_encrypts_a_copy_so_the_callers_events_keep_their_plaintext_for_detection_and_lineage()
    {
        var dir = Directory.CreateTempSubdirectory("siem-shred-idx-").FullName;
        try
        {
            using var keys = SqliteSubjectKeyStore.Open(dir);
            await using var index = SqliteIndexSink.Open(dir, FieldProtector.Open(dir, keys));
            var e = Login("carol1", 3, "carol@example.org");
            await index.WriteAsync([e], []);
            Assert.Equal("carol@example.org", e.Get(EcsFields.UserEmail));
            Assert.False(e.Fields.ContainsKey("user.email.bidx"));
            Assert.StartsWith(FieldProtector.Prefix, StoredFields(dir, "carol1").GetProperty("user.email").GetString()!, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
