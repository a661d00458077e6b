using System.Text.Json;
using NodaTime;
using Siem.Core.Events;
using Siem.Engine.Alerts;
using Siem.Engine.Index;
using Siem.Host.Commands;
using Siem.Lineage.Shredding;
using Siem.Lineage.Subjects;

namespace Siem.Engine.Tests;

/// <summary><c>siem rules replay</c> over an index whose <c>user.email</c> is crypto-shredded: rules see the plaintext
/// while the subject's key exists; a destroyed key leaves the value unreadable, and it is counted.</summary>
public sealed class ShreddedReplayTests : IDisposable
{
    private const string RuleId = "0d5b6a2e-7c41-4d0f-9a3e-2b8f6c1e4a77";
    private static readonly Instant Start = Instant.FromUtc(2026, 11, 20, 10, 0);
    private readonly string _dir = Directory.CreateTempSubdirectory("siem-replay-shred-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static LogEvent Login(string id, int second, string email)
    {
        var e = new LogEvent { RecordId = id, AgentId = "agent-1", Timestamp = Start + Duration.FromSeconds(second), Original = $"app: login ok for {email}" };
        e.Set(EcsFields.Message, e.Original);
        e.Set(EcsFields.UserEmail, email);
        return e;
    }

    private string WriteRule()
    {
        var path = Path.Combine(_dir, "contractor_login.yml");
        File.WriteAllText(path, $"""
            title: Login with a contractor e-mail address
            id: {RuleId}
            status: test
            level: medium
            logsource:
              category: authentication
            detection:
              selection:
                user.email|endswith: '@contractor.example'
              condition: selection
            """);
        return path;
    }

    [Fact]
    public async Task Replay_decrypts_shredded_emails_for_the_rules_and_counts_values_whose_key_was_destroyed()
    {
        var dataDir = Path.Combine(_dir, "data");
        await using (var sink = SqliteIndexSink.OpenWithShredding(dataDir))
        {
            await sink.WriteAsync([Login("alice1", 1, "alice@contractor.example"), Login("carol1", 2, "carol@example.org"),
                Login("bob1", 3, "bob@contractor.example"), Login("alice2", 4, "Alice@Contractor.example")], []);
        }
        using (var keys = SqliteSubjectKeyStore.Open(dataDir))
        {
            // A purge of bob: his key is gone, his stored e-mail can never be read again.
            Assert.True(await keys.DestroyKeyAsync(SubjectPseudonymizer.Open(dataDir).SubjectId(EcsFields.UserEmail, "bob@contractor.example")));
        }
        var stdout = new StringWriter();
        var stderr = new StringWriter();

        int exit = await RulesReplayCommand.RunAsync([WriteRule()], "2026-11-20T00:00:00Z", "2026-11-21T00:00:00Z", dataDir, null, json: true, stdout, stderr, CancellationToken.None);

        Assert.Equal(0, exit);
        var lines = stdout.ToString().TrimEnd().Split('\n');
        using var summary = JsonDocument.Parse(lines[^1]);
        Assert.Equal(4, summary.RootElement.GetProperty("events_replayed").GetInt64());
        Assert.Equal(1, summary.RootElement.GetProperty("fields_shredded").GetInt64());
        Assert.Equal(0, summary.RootElement.GetProperty("fields_unreadable").GetInt64());
        var alert = AlertJson.Deserialize(System.Text.Encoding.UTF8.GetBytes(Assert.Single(lines[..^1])));
        Assert.Equal(RuleId, alert.RuleId);
        Assert.Equal(["alice1", "alice2"], alert.RecordIds.Order(StringComparer.Ordinal));
        Assert.Contains("1 protected field value(s) were shredded by purges", stderr.ToString());
    }

    [Fact]
    public async Task Replay_without_the_keys_reads_the_ciphertext_and_says_so()
    {
        var dataDir = Path.Combine(_dir, "data");
        await using (var sink = SqliteIndexSink.OpenWithShredding(dataDir)) await sink.WriteAsync([Login("alice1", 1, "alice@contractor.example")], []);
        var copy = Path.Combine(_dir, "index-only");
        Directory.CreateDirectory(copy);
        File.Copy(Path.Combine(dataDir, "index.db"), Path.Combine(copy, "index.db"));
        var stdout = new StringWriter();
        var stderr = new StringWriter();

        int exit = await RulesReplayCommand.RunAsync([WriteRule()], null, null, copy, null, json: true, stdout, stderr, CancellationToken.None);

        Assert.Equal(0, exit);
        using var summary = JsonDocument.Parse(stdout.ToString().TrimEnd().Split('\n')[^1]);
        Assert.Equal(0, summary.RootElement.GetProperty("alerts").GetInt32());
        Assert.Contains("no shredding keys at", stderr.ToString());
        Assert.StartsWith(FieldProtector.Prefix, (string)IndexedEmail(copy));
    }

    private static object IndexedEmail(string dataDir)
    {
        using var conn = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={Path.Combine(dataDir, "index.db")};Mode=ReadOnly;Pooling=False");
        conn.Open();
        using var cmd = conn.CreateCommand();
        cmd.CommandText = "SELECT json_extract(fields, '$.\"user.email\"') FROM events_20261120";
        return cmd.ExecuteScalar()!;
    }
}
