using System.Buffers;
using System.Text;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using Siem.Core.Events;
using SQLitePCL;

namespace Siem.Engine.Index;

/// <summary>
/// The insert of one event partition as a raw prepared SQLite statement, bound with UTF-8 text straight from reusable
/// buffers. Through <see cref="SqliteCommand"/> every event cost a string for its fields JSON and keys, a UTF-8 copy
/// of each of its seven parameters and the command's per-execution bookkeeping: about half of the index stage's CPU.
/// Runs on the sink's writer connection inside the write's transaction (the statement is reset after every row, so
/// it never holds the transaction open); not thread-safe, like the writer it belongs to.
/// </summary>
internal sealed class SqliteEventInsert : IDisposable
{
    private const int RecordId = 1, Timestamp = 2, AgentId = 3, Message = 4, Keys = 5, Original = 6, Fields = 7;

    private readonly sqlite3 _db;
    private readonly sqlite3_stmt _statement;
    private readonly ArrayBufferWriter<byte> _json = new(1024);
    private readonly Utf8JsonWriter _jsonWriter;
    private byte[] _text = new byte[1024];

    public SqliteEventInsert(SqliteConnection writer, string table)
    {
        _db = writer.Handle ?? throw new InvalidOperationException("the index writer connection is not open");
        // Same columns and conflict rule as the events table's definition: a redelivered record id is skipped.
        int rc = raw.sqlite3_prepare_v2(_db, $"""
            INSERT INTO {table}(record_id, ts, agent_id, message, keys, original, fields)
            VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT(record_id) DO NOTHING
            """, out _statement);
        SqliteException.ThrowExceptionForRC(rc, _db);
        _jsonWriter = new Utf8JsonWriter(_json);
    }

    public void Insert(LogEvent e)
    {
        try
        {
            BindText(RecordId, e.RecordId);
            Check(raw.sqlite3_bind_int64(_statement, Timestamp, e.Timestamp.ToUnixTimeTicks()));
            BindText(AgentId, e.AgentId);
            BindText(Message, e.Get(EcsFields.Message) ?? e.Original);
            BindKeys(e.Fields);
            BindText(Original, e.Original);
            _json.ResetWrittenCount();
            _jsonWriter.Reset(_json);
            SqliteIndexSink.WriteFieldsJson(_jsonWriter, e.Fields);
            BindUtf8(Fields, _json.WrittenSpan);
            int rc = raw.sqlite3_step(_statement);
            if (rc != raw.SQLITE_DONE) SqliteException.ThrowExceptionForRC(rc, _db);
        }
        finally
        {
            // Unbound text and a finished step: the statement holds no copy of this event and no open read.
            raw.sqlite3_reset(_statement);
            raw.sqlite3_clear_bindings(_statement);
        }
    }

    private void BindText(int index, string value)
    {
        int max = Encoding.UTF8.GetMaxByteCount(value.Length);
        if (_text.Length < max) _text = new byte[Math.Max(max, _text.Length * 2)];
        // Lone surrogates become U+FFFD, as SqliteCommand's own UTF-8 conversion did.
        BindUtf8(index, _text.AsSpan(0, Encoding.UTF8.GetBytes(value, _text)));
    }

    /// <summary>The full-text "keys" column: the values of <see cref="SqliteIndexSink.KeyFields"/>, each followed by a space.</summary>
    private void BindKeys(Dictionary<string, object> fields)
    {
        int length = 0;
        foreach (var name in SqliteIndexSink.KeyFields)
        {
            if (!fields.TryGetValue(name, out var v)) continue;
            if (v is string s) Append(s, ref length);
            else if (v is string[] values) foreach (var x in values) Append(x, ref length);
        }
        BindUtf8(Keys, _text.AsSpan(0, length));

        void Append(string value, ref int at)
        {
            int max = Encoding.UTF8.GetMaxByteCount(value.Length) + 1;
            if (_text.Length - at < max) Array.Resize(ref _text, Math.Max(at + max, _text.Length * 2));
            at += Encoding.UTF8.GetBytes(value, _text.AsSpan(at));
            _text[at++] = (byte)' ';
        }
    }

    private void BindUtf8(int index, ReadOnlySpan<byte> utf8)
    {
        // An empty span is bound through a null pointer, which SQLite reads as NULL: bind the empty string instead.
        Check(utf8.IsEmpty ? raw.sqlite3_bind_text(_statement, index, "") : raw.sqlite3_bind_text(_statement, index, utf8));
    }

    private void Check(int rc)
    {
        if (rc != raw.SQLITE_OK) SqliteException.ThrowExceptionForRC(rc, _db);
    }

    public void Dispose()
    {
        _statement.Dispose();
        _jsonWriter.Dispose();
    }
}
