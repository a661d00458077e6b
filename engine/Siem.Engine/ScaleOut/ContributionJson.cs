using System.Buffers;
using System.Text.Json;
using NodaTime;
using Siem.Core.Events;
using Siem.Rules.Correlation;

namespace Siem.Engine.ScaleOut;

/// <summary>
/// A <see cref="CorrelationContribution"/> on the wire: <c>{"rule","index","t" (unix ticks),"id","group":[..],"key","number",
/// "chained","records":[..],"events":[event as in a batch]}</c>. Decoding is strict and names what is wrong.
/// </summary>
public static class ContributionJson
{
    public static byte[] Serialize(CorrelationContribution c)
    {
        ArgumentNullException.ThrowIfNull(c);
        var buffer = new ArrayBufferWriter<byte>(512);
        using (var w = new Utf8JsonWriter(buffer, LogEventJson.BatchWriterOptions))
        {
            w.WriteStartObject();
            w.WriteString("rule", c.RuleKey);
            w.WriteNumber("index", c.RuleIndex);
            w.WriteNumber("t", c.Time.ToUnixTimeTicks());
            w.WriteString("id", c.RecordId);
            w.WriteStartArray("group");
            foreach (var v in c.GroupValues) w.WriteStringValue(v);
            w.WriteEndArray();
            if (c.Key != null) w.WriteString("key", c.Key);
            if (!double.IsNaN(c.Number)) w.WriteNumber("number", c.Number);
            if (c.Chained) w.WriteBoolean("chained", true);
            w.WriteStartArray("records");
            foreach (var r in c.RecordIds) w.WriteStringValue(r);
            w.WriteEndArray();
            w.WriteStartArray("events");
            foreach (var e in c.Events) LogEventJson.Write(w, e);
            w.WriteEndArray();
            w.WriteEndObject();
        }
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>Reads one contribution; throws <see cref="InvalidDataException"/> naming the member that is missing or malformed.</summary>
    public static CorrelationContribution Deserialize(ReadOnlySpan<byte> utf8)
    {
        var r = new Utf8JsonReader(utf8, new JsonReaderOptions { MaxDepth = 16 });
        try
        {
            return Read(ref r);
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"correlation contribution is not valid JSON: {ex.Message}", ex);
        }
    }

    private static CorrelationContribution Read(ref Utf8JsonReader r)
    {
        if (!r.Read() || r.TokenType != JsonTokenType.StartObject) throw new InvalidDataException("correlation contribution: expected a JSON object");
        string? rule = null, id = null, key = null;
        int? index = null;
        long? ticks = null;
        double number = double.NaN;
        bool chained = false;
        List<string?>? group = null;
        List<string>? records = null;
        var events = new List<LogEvent>();
        while (r.Read() && r.TokenType == JsonTokenType.PropertyName)
        {
            string name = r.GetString()!;
            r.Read();
            switch (name)
            {
                case "rule": rule = r.GetString(); break;
                case "index": index = r.GetInt32(); break;
                case "t": ticks = r.GetInt64(); break;
                case "id": id = r.GetString(); break;
                case "key": key = r.GetString(); break;
                case "number": number = r.GetDouble(); break;
                case "chained": chained = r.GetBoolean(); break;
                case "group": group = ReadStrings(ref r, name); break;
                case "records": records = ReadStrings(ref r, name).Select(s => s ?? throw new InvalidDataException("correlation contribution: records holds a null")).ToList(); break;
                case "events":
                    if (r.TokenType != JsonTokenType.StartArray) throw new InvalidDataException("correlation contribution: events must be an array");
                    while (r.Read() && r.TokenType != JsonTokenType.EndArray) events.Add(LogEventJson.Read(ref r));
                    break;
                default: r.Skip(); break;
            }
        }
        T Missing<T>(string member) => throw new InvalidDataException($"correlation contribution{(id != null ? $" for record '{id}'" : "")}: missing '{member}'");
        return new CorrelationContribution
        {
            RuleKey = rule ?? Missing<string>("rule"),
            RuleIndex = index ?? Missing<int>("index"),
            Time = Instant.FromUnixTimeTicks(ticks ?? Missing<long>("t")),
            RecordId = id ?? Missing<string>("id"),
            GroupValues = group ?? Missing<List<string?>>("group"),
            Key = key,
            Number = number,
            Chained = chained,
            RecordIds = records ?? [id!],
            Events = events,
        };
    }

    private static List<string?> ReadStrings(ref Utf8JsonReader r, string member)
    {
        if (r.TokenType != JsonTokenType.StartArray) throw new InvalidDataException($"correlation contribution: '{member}' must be an array of strings");
        var list = new List<string?>();
        while (r.Read() && r.TokenType != JsonTokenType.EndArray)
        {
            list.Add(r.TokenType switch
            {
                JsonTokenType.String => r.GetString(),
                JsonTokenType.Null => null,
                _ => throw new InvalidDataException($"correlation contribution: '{member}' must be an array of strings"),
            });
        }
        return list;
    }
}
