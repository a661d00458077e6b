using Microsoft.Data.Sqlite;
using NodaTime;
using Siem.Core.Events;
using Siem.Engine.Index;
using Siem.Engine.Search;

namespace Siem.Engine.Tests;

/// <summary>The row each event becomes (written through a raw prepared statement with UTF-8 text bound from buffers).</summary>
public sealed class SqliteEventRowTests() : SqliteSinkTest("siem-index-rows-")
{
    private (string RecordId, long Ts, string AgentId, string Message, string Keys, string Original, string Fields) Row(string recordId)
    {
        using var conn = new SqliteConnection("Data Source=" + Sink.DatabasePath);
        conn.Open();
        using var cmd = conn.CreateCommand();
        cmd.CommandText = $"SELECT record_id, ts, agent_id, message, keys, original, fields, typeof(keys), typeof(fields) FROM {SqliteIndexSink.ListPartitions(conn)[0]} WHERE record_id = $id";
        cmd.Parameters.AddWithValue("$id", recordId);
        using var r = cmd.ExecuteReader();
        Assert.True(r.Read(), $"record {recordId} is not stored");
        Assert.Equal("text", r.GetString(7));
        Assert.Equal("text", r.GetString(8));
        return (r.GetString(0), r.GetInt64(1), r.GetString(2), r.GetString(3), r.GetString(4), r.GetString(5), r.GetString(6));
    }

    [Fact]
    public async Task An_event_without_agent_message_or_key_fields_is_stored_with_empty_texts_and_its_original_as_message()
    {
        var at = Instant.FromUtc(2026, 11, 22, 4, 0, 1).PlusNanoseconds(123_456_700);
        var e = new LogEvent { RecordId = "bare-1", Timestamp = at, Original = "plain line" };
        e.Set("event.dataset", "misc");

        await Sink.WriteAsync([e], []);

        Assert.Equal(("bare-1", at.ToUnixTimeTicks(), "", "plain line", "", "plain line", "{\"event.dataset\":\"misc\"}"), Row("bare-1"));
    }

    [Fact]
    public async Task Key_fields_are_joined_in_their_order_and_texts_keep_every_character()
    {
        const string original = "Failed password for jürgen from 10.0.0.1 — 日本 🚀 <x&y>";
        var e = new LogEvent { RecordId = "rich-1", AgentId = "web-01", Timestamp = TestEvents.Base, Original = original };
        e.Set(EcsFields.Message, "password for jürgen from 10.0.0.1 — 日本 🚀 <x&y>");
        e.Set(EcsFields.SourceIp, "10.0.0.1");
        e.Set(EcsFields.UserName, "jürgen");
        e.Add("CommandLine", "a b");
        e.Add("CommandLine", "c");

        await Sink.WriteAsync([e], []);

        var row = Row("rich-1");
        Assert.Equal("web-01", row.AgentId);
        Assert.Equal(original, row.Original);
        Assert.Equal("password for jürgen from 10.0.0.1 — 日本 🚀 <x&y>", row.Message);
        Assert.Equal("jürgen 10.0.0.1 a b c ", row.Keys);
        Assert.Equal(SqliteIndexSink.FieldsJson(e.Fields), row.Fields);
        Assert.Equal(1, await Sink.CountAsync(SearchRequest.Parse("jürgen")));
        Assert.Equal(1, await Sink.CountAsync(SearchRequest.Parse("source.ip:10.0.0.1")));
    }

    [Fact]
    public async Task A_lone_surrogate_is_stored_as_the_replacement_character()
    {
        var e = new LogEvent { RecordId = "bad-utf16", Timestamp = TestEvents.Base, Original = "before \ud800 after" };

        await Sink.WriteAsync([e], []);

        Assert.Equal("before \ufffd after", Row("bad-utf16").Original);
    }

    [Fact]
    public async Task Many_events_of_growing_size_in_one_write_are_each_stored_whole()
    {
        var random = new Random(11);
        var events = Enumerable.Range(0, 300).Select(i =>
        {
            var text = new string((char)('a' + i % 26), random.Next(0, 20_000));
            var e = new LogEvent { RecordId = $"big-{i}", Timestamp = TestEvents.Base, Original = text };
            e.Set(EcsFields.UserName, text);
            return e;
        }).ToList();

        await Sink.WriteAsync(events, []);

        foreach (var e in events.Where((_, i) => i % 37 == 0))
        {
            var row = Row(e.RecordId);
            Assert.Equal(e.Original, row.Original);
            Assert.Equal(e.Original + " ", row.Keys);
        }
        Assert.Equal(300, await Sink.CountAsync(SearchRequest.Parse("*") with { IncludeAlerts = false }));
    }
}
