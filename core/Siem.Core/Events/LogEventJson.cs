using System.Buffers;
using System.Text.Json;
using NodaTime;
using NodaTime.Text;

namespace Siem.Core.Events;

/// <summary>
/// The batch plaintext inside an envelope: JSON lines, one <see cref="LogEvent"/> per line:
/// <c>{"record_id","agent_id","@timestamp" (ISO-8601 UTC),"original","fields":{name: string | [string,...]}}</c>.
/// The <c>message</c> field is usually a tail of <c>original</c> (the syslog body): then it is written as a number,
/// the UTF-16 offset where it starts in <c>original</c>, so the wire carries the text once; decoding restores the
/// exact string at the same position in the fields. Decoding is strict: anything else is an <see cref="InvalidDataException"/> naming the record and field.
/// </summary>
public static class LogEventJson
{
    private static readonly InstantPattern TimestampPattern = InstantPattern.ExtendedIso;
    private static readonly JsonWriterOptions WriterOptions = new()
    {
        SkipValidation = true,
        Indented = false,
        // Internal transport, never embedded in HTML: escaping only what JSON requires keeps log lines readable and is much cheaper.
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>Writer options used for batches (shared with the agent's batch builder).</summary>
    public static JsonWriterOptions BatchWriterOptions => WriterOptions;

    public static byte[] EncodeBatch(IReadOnlyList<LogEvent> events)
    {
        ArgumentNullException.ThrowIfNull(events);
        var buffer = new ArrayBufferWriter<byte>(256 * Math.Max(1, events.Count));
        EncodeBatch(events, buffer);
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>Encodes into a caller-owned writer (the batcher reuses one buffer).</summary>
    public static void EncodeBatch(IReadOnlyList<LogEvent> events, IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(events);
        using var w = new Utf8JsonWriter(output, WriterOptions);
        for (var i = 0; i < events.Count; i++)
        {
            Write(w, events[i]);
            w.Flush();
            output.Write("\n"u8);
            w.Reset(output);
        }
    }

    public static List<LogEvent> DecodeBatch(ReadOnlySpan<byte> utf8)
    {
        var result = new List<LogEvent>();
        var reader = new Utf8JsonReader(utf8, new JsonReaderOptions { AllowMultipleValues = true, MaxDepth = 8 });
        try
        {
            while (reader.Read())
            {
                result.Add(Read(ref reader));
            }
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"event batch: record {result.Count + 1}: invalid JSON ({e.Message})", e);
        }
        catch (InvalidOperationException e)
        {
            // Utf8JsonReader.GetString throws this (not JsonException) for invalid UTF-8 or a lone surrogate escape in a
            // string; found by fuzzing — uncaught, one such batch from an enrolled agent stopped the engine.
            throw new InvalidDataException($"event batch: record {result.Count + 1}: invalid string ({e.Message})", e);
        }
        return result;
    }

    public static void Write(Utf8JsonWriter w, LogEvent e)
    {
        ArgumentNullException.ThrowIfNull(w);
        ArgumentNullException.ThrowIfNull(e);
        w.WriteStartObject();
        w.WriteString("record_id"u8, e.RecordId);
        w.WriteString("agent_id"u8, e.AgentId);
        WriteTimestamp(w, e.Timestamp);
        w.WriteString("original"u8, e.Original);
        w.WriteStartObject("fields"u8);
        foreach (var (name, value) in e.Fields)
        {
            switch (value)
            {
                case string s when name == EcsFields.Message && IsTailOf(s, e.Original, out var offset):
                    w.WriteNumber(name, offset);
                    break;
                case string s:
                    w.WriteString(name, s);
                    break;
                case string[] many:
                    w.WriteStartArray(name);
                    foreach (var v in many) w.WriteStringValue(v);
                    w.WriteEndArray();
                    break;
                default:
                    throw new InvalidOperationException($"record {e.RecordId}: field '{name}' holds a {value?.GetType().Name ?? "null"}; only string and string[] are allowed");
            }
        }
        w.WriteEndObject();
        w.WriteEndObject();
    }

    /// <summary>True when <paramref name="message"/> is exactly <paramref name="original"/> from some offset on.</summary>
    private static bool IsTailOf(string message, string original, out int offset)
    {
        offset = original.Length - message.Length;
        return offset >= 0 && original.AsSpan(offset).SequenceEqual(message);
    }

    /// <summary>Same text as <c>InstantPattern.ExtendedIso</c> (trailing zero fraction digits trimmed), without a string per event.</summary>
    private static void WriteTimestamp(Utf8JsonWriter w, Instant timestamp)
    {
        var utc = timestamp.InUtc();
        if (utc.Year is < 1 or > 9999)
        {
            w.WriteString("@timestamp"u8, TimestampPattern.Format(timestamp));
            return;
        }
        Span<byte> buf = stackalloc byte[30];
        Digits(buf, 0, utc.Year, 4);
        buf[4] = (byte)'-';
        Digits(buf, 5, utc.Month, 2);
        buf[7] = (byte)'-';
        Digits(buf, 8, utc.Day, 2);
        buf[10] = (byte)'T';
        Digits(buf, 11, utc.Hour, 2);
        buf[13] = (byte)':';
        Digits(buf, 14, utc.Minute, 2);
        buf[16] = (byte)':';
        Digits(buf, 17, utc.Second, 2);
        var n = 19;
        var nanos = utc.NanosecondOfSecond;
        if (nanos != 0)
        {
            buf[n++] = (byte)'.';
            var digits = 9;
            while (nanos % 10 == 0)
            {
                nanos /= 10;
                digits--;
            }
            Digits(buf, n, nanos, digits);
            n += digits;
        }
        buf[n++] = (byte)'Z';
        w.WriteString("@timestamp"u8, buf[..n]);
    }

    private static void Digits(Span<byte> buf, int at, int value, int width)
    {
        for (var i = at + width - 1; i >= at; i--)
        {
            buf[i] = (byte)('0' + value % 10);
            value /= 10;
        }
    }

    /// <summary>Reads one event; the reader must be positioned on its StartObject token and ends on its EndObject.</summary>
    public static LogEvent Read(ref Utf8JsonReader r)
    {
        if (r.TokenType != JsonTokenType.StartObject) throw Bad("expected an object", r);
        string? recordId = null, agentId = null, original = null;
        Instant timestamp = default;
        var hasTimestamp = false;
        // The fields are read into a per-thread scratch list and added to the event once its original is known: a
        // dictionary per event to hold them in between was a third of the decoder's allocations.
        var fields = t_fields ??= new List<KeyValuePair<string, object>>(64);
        fields.Clear();
        var hasFields = false;
        while (r.Read() && r.TokenType != JsonTokenType.EndObject)
        {
            if (r.TokenType != JsonTokenType.PropertyName) throw Bad("expected a property name", r);
            if (r.ValueTextEquals("record_id"u8)) recordId = ReadString(ref r, "record_id");
            else if (r.ValueTextEquals("agent_id"u8)) agentId = ReadString(ref r, "agent_id");
            else if (r.ValueTextEquals("original"u8)) original = ReadString(ref r, "original");
            else if (r.ValueTextEquals("@timestamp"u8))
            {
                r.Read();
                if (r.TokenType != JsonTokenType.String) throw Bad("@timestamp: expected a string", r);
                if (r.ValueIsEscaped || !TryParseTimestamp(r.ValueSpan, out timestamp))
                {
                    var text = r.GetString()!;
                    var parsed = TimestampPattern.Parse(text);
                    if (!parsed.Success) throw new InvalidDataException($"event: @timestamp '{text}' is not ISO-8601 UTC");
                    timestamp = parsed.Value;
                }
                hasTimestamp = true;
            }
            else if (r.ValueTextEquals("fields"u8))
            {
                fields.Clear(); // a repeated member replaces the earlier one, as it did
                ReadFields(ref r, fields);
                hasFields = true;
            }
            else
            {
                r.Read();
                r.Skip(); // unknown members are tolerated so newer agents can add some
            }
        }
        if (recordId == null) throw new InvalidDataException("event: missing record_id");
        if (!hasTimestamp) throw new InvalidDataException($"event {recordId}: missing @timestamp");
        var e = new LogEvent { RecordId = recordId, AgentId = agentId ?? "", Original = original ?? "", Timestamp = timestamp };
        if (hasFields)
        {
            e.Fields.EnsureCapacity(fields.Count);
            foreach (var (k, v) in fields)
            {
                if (v is int offset)
                {
                    // "message" written as an offset into original: restore the text, in the same position.
                    if (offset > e.Original.Length) throw new InvalidDataException($"event {recordId}: fields.message offset {offset} is beyond original ({e.Original.Length} chars)");
                    e.Fields[k] = e.Original[offset..];
                }
                else
                {
                    e.Fields[k] = v;
                }
            }
            fields.Clear();
        }
        return e;
    }

    [ThreadStatic] private static List<KeyValuePair<string, object>>? t_fields;

    private static void ReadFields(ref Utf8JsonReader r, List<KeyValuePair<string, object>> fields)
    {
        r.Read();
        if (r.TokenType != JsonTokenType.StartObject) throw Bad("fields: expected an object", r);
        while (r.Read() && r.TokenType != JsonTokenType.EndObject)
        {
            var name = FieldNames.Get(ref r);
            r.Read();
            if (r.TokenType == JsonTokenType.String)
            {
                fields.Add(new(name, r.GetString()!));
            }
            else if (r.TokenType == JsonTokenType.StartArray)
            {
                var values = new List<string>();
                while (r.Read() && r.TokenType != JsonTokenType.EndArray)
                {
                    if (r.TokenType != JsonTokenType.String) throw Bad($"fields.{name}: expected strings in the array", r);
                    values.Add(r.GetString()!);
                }
                fields.Add(new(name, values.ToArray()));
            }
            else if (r.TokenType == JsonTokenType.Number && name == EcsFields.Message)
            {
                if (!r.TryGetInt32(out var messageOffset) || messageOffset < 0) throw Bad("fields.message: expected a non-negative offset into original", r);
                fields.Add(new(name, messageOffset)); // resolved against original once the whole object is read
            }
            else
            {
                throw Bad($"fields.{name}: expected a string or an array of strings", r);
            }
        }
    }

    /// <summary>
    /// The text <see cref="WriteTimestamp"/> writes (<c>yyyy-MM-ddTHH:mm:ss[.f{1,9}]Z</c>), read without a string and
    /// without NodaTime's general pattern parser (which cost more than the rest of the event); false for anything else,
    /// which then goes through <c>InstantPattern.ExtendedIso</c> and its error message.
    /// </summary>
    internal static bool TryParseTimestamp(ReadOnlySpan<byte> text, out Instant timestamp)
    {
        timestamp = default;
        if (text.Length < 20 || text.Length > 30 || text[^1] != (byte)'Z' || text[4] != (byte)'-' || text[7] != (byte)'-'
            || text[10] != (byte)'T' || text[13] != (byte)':' || text[16] != (byte)':')
            return false;
        if (!TryDigits(text, 0, 4, out var year) || !TryDigits(text, 5, 2, out var month) || !TryDigits(text, 8, 2, out var day)
            || !TryDigits(text, 11, 2, out var hour) || !TryDigits(text, 14, 2, out var minute) || !TryDigits(text, 17, 2, out var second))
            return false;
        long nanos = 0;
        if (text.Length > 20)
        {
            int digits = text.Length - 21;
            if (text[19] != (byte)'.' || digits < 1 || digits > 9 || !TryDigits(text, 20, digits, out var fraction)) return false;
            nanos = fraction;
            for (int i = digits; i < 9; i++) nanos *= 10;
        }
        else if (text[19] != (byte)'Z')
        {
            return false;
        }
        if (year < 1 || month is < 1 or > 12 || day < 1 || day > DateTime.DaysInMonth(year, month) || hour > 23 || minute > 59 || second > 59)
            return false;
        timestamp = Instant.FromUtc(year, month, day, hour, minute, second).PlusNanoseconds(nanos);
        return true;
    }

    private static bool TryDigits(ReadOnlySpan<byte> text, int at, int count, out int value)
    {
        value = 0;
        for (int i = at; i < at + count; i++)
        {
            uint d = (uint)(text[i] - '0');
            if (d > 9) return false;
            value = value * 10 + (int)d;
        }
        return true;
    }

    private static string ReadString(ref Utf8JsonReader r, string name)
    {
        r.Read();
        return r.TokenType == JsonTokenType.String ? r.GetString()! : throw Bad($"{name}: expected a string", r);
    }

    private static InvalidDataException Bad(string what, in Utf8JsonReader r) =>
        new($"event: {what}, got {r.TokenType} at byte {r.TokenStartIndex}");
}
