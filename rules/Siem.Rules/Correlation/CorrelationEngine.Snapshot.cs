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

    public void Snapshot(Stream stream)
    {
        var rules = new JsonArray();
        foreach (var state in _rules)
        {
            var groups = new JsonArray();
            foreach (var group in state.Lru)
            {
                groups.Add(new JsonObject
                {
                    ["values"] = new JsonArray(group.Values.Select(v => (JsonNode?)JsonValue.Create(v)).ToArray()),
                    ["entries"] = new JsonArray(group.Entries.Select(EntryToJson).ToArray()),
                    ["seen"] = new JsonArray(group.Seen.Select(s => (JsonNode)new JsonArray(s.Key.RecordId, s.Key.RuleIndex, s.Value.ToUnixTimeTicks())).ToArray()),
                });
            }
            var st = state.Stats;
            rules.Add(new JsonObject
            {
                ["key"] = state.Rule.Key,
                ["alertSequence"] = state.AlertSequence,
                ["stats"] = new JsonArray(st.Accepted, st.LateDropped, st.Duplicates, st.GroupsEvicted, st.EventsEvicted, st.Alerts),
                ["groups"] = groups,
            });
        }
        var root = new JsonObject
        {
            ["version"] = SnapshotVersion,
            ["watermark"] = _watermark == Instant.MinValue ? null : _watermark.ToUnixTimeTicks(),
            // When windows were last swept: restored as it was, so a replay from this snapshot sweeps exactly when the original run did.
            ["lastSweep"] = _lastSweep == Instant.MinValue ? null : _lastSweep.ToUnixTimeTicks(),
            ["rules"] = rules,
        };
        using var writer = new Utf8JsonWriter(stream);
        root.WriteTo(writer);
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

    private static JsonNode EntryToJson(CorrelationEntry e) => new JsonObject
    {
        ["t"] = e.Time.ToUnixTimeTicks(),
        ["id"] = e.RecordId,
        ["rule"] = e.RuleIndex,
        ["key"] = e.Key,
        ["number"] = double.IsNaN(e.Number) ? null : e.Number,
        ["recordIds"] = new JsonArray(e.RecordIds.Select(r => (JsonNode?)r).ToArray()),
        ["events"] = new JsonArray(e.Events.Select(EventToJson).ToArray()),
    };

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

    internal static JsonNode EventToJson(LogEvent e)
    {
        var fields = new JsonObject();
        foreach (var (name, value) in e.Fields)
        {
            fields[name] = value is string s ? s : new JsonArray(((string[])value).Select(v => (JsonNode?)v).ToArray());
        }
        return new JsonObject
        {
            ["recordId"] = e.RecordId,
            ["agentId"] = e.AgentId,
            ["t"] = e.Timestamp.ToUnixTimeTicks(),
            ["original"] = e.Original,
            ["fields"] = fields,
        };
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
