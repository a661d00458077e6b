using System.Text.Json;
using System.Text.Json.Nodes;
using NodaTime;
using Siem.Core.Events;

namespace Siem.Rules.Correlation;

public sealed partial class CorrelationEngine
{
    private const int SnapshotVersion = 1;

    /// <summary>
    /// Serialises the open windows (groups, matches with their contributing events, dedupe keys), the
    /// watermark and the counters as UTF-8 JSON, so a restarted engine continues where this one stopped.
    /// </summary>
    public byte[] Snapshot()
    {
        using var stream = new MemoryStream();
        Snapshot(stream);
        return stream.ToArray();
    }

    /// <remarks>Written straight to a <see cref="Utf8JsonWriter"/>: the engine snapshots while it runs, and building a
    /// DOM of every open window first cost several times the time and memory of the JSON itself.</remarks>
    public void Snapshot(Stream stream)
    {
        using var w = new Utf8JsonWriter(stream);
        w.WriteStartObject();
        w.WriteNumber("version", SnapshotVersion);
        WriteTicksOrNull(w, "watermark", _watermark);
        // When windows were last swept: restored as it was, so a replay from this snapshot sweeps exactly when the original run did.
        WriteTicksOrNull(w, "lastSweep", _lastSweep);
        w.WriteStartArray("rules");
        foreach (var state in _rules)
        {
            w.WriteStartObject();
            w.WriteString("key", state.Rule.Key);
            w.WriteNumber("alertSequence", state.AlertSequence);
            var st = state.Stats;
            w.WriteStartArray("stats");
            foreach (var n in (ReadOnlySpan<long>)[st.Accepted, st.LateDropped, st.Duplicates, st.GroupsEvicted, st.EventsEvicted, st.Alerts]) w.WriteNumberValue(n);
            w.WriteEndArray();
            w.WriteStartArray("groups");
            foreach (var group in state.Lru) WriteGroup(w, group);
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

    private static void WriteGroup(Utf8JsonWriter w, CorrelationGroup group)
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

    /// <summary>
    /// Replaces this engine's state with a snapshot. Rules are matched by key (id, else name); state of rules
    /// no longer loaded is ignored, and rules new since the snapshot start empty.
    /// </summary>
    public void Restore(byte[] snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        Restore(new MemoryStream(snapshot, writable: false));
    }

    public void Restore(Stream stream)
    {
        JsonNode root;
        try
        {
            root = JsonNode.Parse(stream) ?? throw new InvalidDataException("correlation snapshot is empty");
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"correlation snapshot is not valid JSON: {ex.Message}", ex);
        }
        if ((int?)root["version"] != SnapshotVersion)
        {
            throw new InvalidDataException($"correlation snapshot version {root["version"]} is not supported (expected {SnapshotVersion})");
        }
        var watermark = (long?)root["watermark"];
        _watermark = watermark is null ? Instant.MinValue : Instant.FromUnixTimeTicks(watermark.Value);
        var lastSweep = (long?)root["lastSweep"];
        _lastSweep = lastSweep is null ? _watermark : Instant.FromUnixTimeTicks(lastSweep.Value);
        var byKey = _rules.ToDictionary(r => r.Rule.Key, StringComparer.Ordinal);
        foreach (var state in _rules)
        {
            state.Groups.Clear();
            state.Lru.Clear();
        }
        foreach (var ruleNode in root["rules"]!.AsArray())
        {
            if (!byKey.TryGetValue((string)ruleNode!["key"]!, out var state))
            {
                continue;
            }
            state.AlertSequence = (long)ruleNode["alertSequence"]!;
            var stats = ruleNode["stats"]!.AsArray().Select(n => (long)n!).ToArray();
            (state.Stats.Accepted, state.Stats.LateDropped, state.Stats.Duplicates, state.Stats.GroupsEvicted, state.Stats.EventsEvicted, state.Stats.Alerts) =
                (stats[0], stats[1], stats[2], stats[3], stats[4], stats[5]);
            foreach (var groupNode in ruleNode["groups"]!.AsArray())
            {
                var values = groupNode!["values"]!.AsArray().Select(v => (string?)v).ToArray();
                if (values.Length != state.Rule.GroupBy.Count)
                {
                    continue; // the rule's group-by changed since the snapshot: its old groups mean nothing now
                }
                var group = GetOrAddGroup(state, values);
                foreach (var entryNode in groupNode["entries"]!.AsArray())
                {
                    group.Entries.Add(EntryFromJson(entryNode!));
                }
                foreach (var seen in groupNode["seen"]!.AsArray())
                {
                    group.Seen[((string)seen![0]!, (int)seen[1]!)] = Instant.FromUnixTimeTicks((long)seen[2]!);
                }
            }
        }
    }

    private static void WriteEntry(Utf8JsonWriter w, CorrelationEntry e)
    {
        w.WriteStartObject();
        w.WriteNumber("t", e.Time.ToUnixTimeTicks());
        w.WriteString("id", e.RecordId);
        w.WriteNumber("rule", e.RuleIndex);
        w.WriteString("key", e.Key);
        if (double.IsNaN(e.Number)) w.WriteNull("number");
        else w.WriteNumber("number", e.Number);
        w.WriteStartArray("recordIds");
        foreach (var r in e.RecordIds) w.WriteStringValue(r);
        w.WriteEndArray();
        w.WriteStartArray("events");
        foreach (var ev in e.Events) WriteEvent(w, ev);
        w.WriteEndArray();
        w.WriteEndObject();
    }

    private static CorrelationEntry EntryFromJson(JsonNode n) => new()
    {
        Time = Instant.FromUnixTimeTicks((long)n["t"]!),
        RecordId = (string)n["id"]!,
        RuleIndex = (int)n["rule"]!,
        Key = (string?)n["key"],
        Number = (double?)n["number"] ?? double.NaN,
        RecordIds = n["recordIds"]!.AsArray().Select(r => (string)r!).ToArray(),
        Events = n["events"]!.AsArray().Select(e => EventFromJson(e!)).ToArray(),
    };

    private static void WriteEvent(Utf8JsonWriter w, LogEvent e)
    {
        w.WriteStartObject();
        w.WriteString("recordId", e.RecordId);
        w.WriteString("agentId", e.AgentId);
        w.WriteNumber("t", e.Timestamp.ToUnixTimeTicks());
        w.WriteString("original", e.Original);
        w.WriteStartObject("fields");
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
        w.WriteEndObject();
    }

    internal static LogEvent EventFromJson(JsonNode n)
    {
        var e = new LogEvent
        {
            RecordId = (string)n["recordId"]!,
            AgentId = (string?)n["agentId"] ?? "",
            Timestamp = Instant.FromUnixTimeTicks((long)n["t"]!),
            Original = (string?)n["original"] ?? "",
        };
        foreach (var (name, value) in n["fields"]!.AsObject())
        {
            if (value is JsonArray arr)
            {
                e.Fields[name] = arr.Select(v => (string)v!).ToArray();
            }
            else
            {
                e.Fields[name] = (string)value!;
            }
        }
        return e;
    }
}
