using System.Text.Json;
using NodaTime;
using Siem.Core.Events;

namespace Siem.Rules.Correlation;

/// <summary>
/// A point-in-time copy of a <see cref="CorrelationEngine"/>'s state (<see cref="CorrelationEngine.Capture"/>), cheap to
/// take because matches are immutable and only the lists holding them are copied; <see cref="WriteTo"/> serialises it
/// later, on another thread if need be, while the engine goes on counting. Events are shared with the engine, so
/// serialising concurrently is safe only when the engine keeps its own copies (<see cref="CorrelationOptions.KeptEventFields"/> set)
/// or the caller no longer mutates the events it fed.
/// </summary>
public sealed class CorrelationStateCapture
{
    internal const int Version = 2;

    internal CorrelationStateCapture(Instant watermark, Instant lastSweep, IReadOnlyList<RuleCapture> rules)
    {
        Watermark = watermark;
        LastSweep = lastSweep;
        Rules = rules;
    }

    internal Instant Watermark { get; }

    internal Instant LastSweep { get; }

    internal IReadOnlyList<RuleCapture> Rules { get; }

    /// <summary>Matches held in open windows when the capture was taken.</summary>
    public int EntryCount => Rules.Sum(r => r.Groups.Sum(g => g.Entries.Length));

    internal sealed record RuleCapture(string Key, long AlertSequence, long[] Stats, GroupCapture[] Groups);

    internal sealed record GroupCapture(string?[] Values, CorrelationEntry[] Entries, KeyValuePair<(string RecordId, int RuleIndex), Instant>[] Seen);

    /// <summary>
    /// Version 2: a match is an array <c>[t, id, rule, key, number, recordIds, events]</c> (recordIds null when it is just
    /// <c>[id]</c>), an event <c>[recordId, agentId, t, original, fields]</c> (recordId/t null when equal to the match's):
    /// the property names of version 1 repeated per match were a large part of the bytes.
    /// </summary>
    public void WriteTo(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        using var w = new Utf8JsonWriter(stream);
        w.WriteStartObject();
        w.WriteNumber("version", Version);
        WriteTicksOrNull(w, "watermark", Watermark);
        // When windows were last swept: restored as it was, so a replay from this snapshot sweeps exactly when the original run did.
        WriteTicksOrNull(w, "lastSweep", LastSweep);
        w.WriteStartArray("rules");
        foreach (var rule in Rules)
        {
            w.WriteStartObject();
            w.WriteString("key", rule.Key);
            w.WriteNumber("alertSequence", rule.AlertSequence);
            w.WriteStartArray("stats");
            foreach (var n in rule.Stats) w.WriteNumberValue(n);
            w.WriteEndArray();
            w.WriteStartArray("groups");
            foreach (var group in rule.Groups) WriteGroup(w, group);
            w.WriteEndArray();
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteEndObject();
    }

    private static void WriteTicksOrNull(Utf8JsonWriter w, string name, Instant at)
    {
        if (at == Instant.MinValue) w.WriteNull(name);
        else w.WriteNumber(name, at.ToUnixTimeTicks());
    }

    private static void WriteGroup(Utf8JsonWriter w, GroupCapture group)
    {
        w.WriteStartObject();
        w.WriteStartArray("values");
        foreach (var v in group.Values) w.WriteStringValue(v);
        w.WriteEndArray();
        w.WriteStartArray("entries");
        foreach (var e in group.Entries) WriteEntry(w, e);
        w.WriteEndArray();
        w.WriteStartArray("seen");
        foreach (var (key, at) in group.Seen)
        {
            w.WriteStartArray();
            w.WriteStringValue(key.RecordId);
            w.WriteNumberValue(key.RuleIndex);
            w.WriteNumberValue(at.ToUnixTimeTicks());
            w.WriteEndArray();
        }
        w.WriteEndArray();
        w.WriteEndObject();
    }

    private static void WriteEntry(Utf8JsonWriter w, CorrelationEntry e)
    {
        w.WriteStartArray();
        w.WriteNumberValue(e.Time.ToUnixTimeTicks());
        w.WriteStringValue(e.RecordId);
        w.WriteNumberValue(e.RuleIndex);
        w.WriteStringValue(e.Key);
        if (double.IsNaN(e.Number)) w.WriteNullValue();
        else w.WriteNumberValue(e.Number);
        if (e.RecordIds is [var only] && only == e.RecordId)
        {
            w.WriteNullValue();
        }
        else
        {
            w.WriteStartArray();
            foreach (var r in e.RecordIds) w.WriteStringValue(r);
            w.WriteEndArray();
        }
        w.WriteStartArray();
        foreach (var ev in e.Events) WriteEvent(w, ev, e);
        w.WriteEndArray();
        w.WriteEndArray();
    }

    private static void WriteEvent(Utf8JsonWriter w, LogEvent e, CorrelationEntry entry)
    {
        w.WriteStartArray();
        if (e.RecordId == entry.RecordId) w.WriteNullValue();
        else w.WriteStringValue(e.RecordId);
        w.WriteStringValue(e.AgentId);
        if (e.Timestamp == entry.Time) w.WriteNullValue();
        else w.WriteNumberValue(e.Timestamp.ToUnixTimeTicks());
        w.WriteStringValue(e.Original);
        w.WriteStartObject();
        foreach (var (name, value) in e.Fields)
        {
            if (value is string s)
            {
                w.WriteString(name, s);
                continue;
            }
            w.WriteStartArray(name);
            foreach (var v in (string[])value) w.WriteStringValue(v);
            w.WriteEndArray();
        }
        w.WriteEndObject();
        w.WriteEndArray();
    }
}
