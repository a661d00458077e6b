using System.Text.Json;
using System.Text.Json.Nodes;
using NodaTime;
using Siem.Core.Events;

namespace Siem.Rules.Correlation;

public sealed partial class CorrelationEngine
{
    /// <summary>Snapshots written before matches became arrays (still read, so an upgrade keeps the open windows).</summary>
    private const int ObjectEntriesVersion = 1;

    /// <summary>
    /// Serialises the open windows (groups, matches with the events they keep, dedupe keys), the watermark and the
    /// counters as UTF-8 JSON, so a restarted engine continues where this one stopped.
    /// </summary>
    public byte[] Snapshot()
    {
        using var stream = new MemoryStream();
        Snapshot(stream);
        return stream.ToArray();
    }

    public void Snapshot(Stream stream) => Capture().WriteTo(stream);

    /// <summary>
    /// Copies the state for <see cref="CorrelationStateCapture.WriteTo"/>: the lists of matches and dedupe keys are
    /// copied, the matches themselves shared (they are never changed once counted), so this costs a pointer copy per
    /// match and the serialisation can run elsewhere.
    /// </summary>
    public CorrelationStateCapture Capture()
    {
        var rules = new CorrelationStateCapture.RuleCapture[_rules.Count];
        for (var r = 0; r < rules.Length; r++)
        {
            var state = _rules[r];
            var st = state.Stats;
            var groups = new CorrelationStateCapture.GroupCapture[state.Lru.Count];
            var i = 0;
            foreach (var group in state.Lru)
            {
                groups[i++] = new CorrelationStateCapture.GroupCapture(group.Values, [.. group.Entries], [.. group.Seen]);
            }
            rules[r] = new CorrelationStateCapture.RuleCapture(state.Rule.Key, state.AlertSequence,
                [st.Accepted, st.LateDropped, st.Duplicates, st.GroupsEvicted, st.EventsEvicted, st.Alerts], groups);
        }
        return new CorrelationStateCapture(_watermark, _lastSweep, rules);
    }

    /// <summary>
    /// Replaces this engine's state with a snapshot (this version's or the previous one's). Rules are matched by key
    /// (id, else name); state of rules no longer loaded is ignored, and rules new since the snapshot start empty.
    /// Events of an older snapshot are cut down to the fields this engine keeps.
    /// </summary>
    public void Restore(byte[] snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        Restore(new MemoryStream(snapshot, writable: false));
    }

    public void Restore(Stream stream)
    {
        try
        {
            RestoreFrom(stream);
        }
        catch (Exception ex) when (ex is InvalidOperationException or NullReferenceException or FormatException or ArgumentException or IndexOutOfRangeException or OverflowException)
        {
            // A snapshot of the right version but the wrong shape: start empty rather than half restored.
            foreach (var state in _rules)
            {
                state.Groups.Clear();
                state.Lru.Clear();
            }
            throw new InvalidDataException($"correlation snapshot is malformed: {ex.Message}", ex);
        }
    }

    private void RestoreFrom(Stream stream)
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
        var version = (int?)root["version"];
        if (version is not (ObjectEntriesVersion or CorrelationStateCapture.Version))
        {
            throw new InvalidDataException($"correlation snapshot version {root["version"]} is not supported (expected {ObjectEntriesVersion} or {CorrelationStateCapture.Version})");
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
                    group.Entries.Add(version == ObjectEntriesVersion ? EntryFromObject(entryNode!, state.KeptFields) : EntryFromArray(entryNode!.AsArray(), state.KeptFields));
                }
                foreach (var seen in groupNode["seen"]!.AsArray())
                {
                    group.Seen[((string)seen![0]!, (int)seen[1]!)] = Instant.FromUnixTimeTicks((long)seen[2]!);
                }
            }
        }
    }

    private static CorrelationEntry EntryFromArray(JsonArray n, HashSet<string>? kept)
    {
        var time = Instant.FromUnixTimeTicks((long)n[0]!);
        var recordId = (string)n[1]!;
        return new CorrelationEntry
        {
            Time = time,
            RecordId = recordId,
            RuleIndex = (int)n[2]!,
            Key = (string?)n[3],
            Number = (double?)n[4] ?? double.NaN,
            RecordIds = n[5] is JsonArray ids ? ids.Select(r => (string)r!).ToArray() : [recordId],
            Events = n[6]!.AsArray().Select(e => Kept(EventFromArray(e!.AsArray(), recordId, time), kept)).ToArray(),
        };
    }

    private static LogEvent EventFromArray(JsonArray n, string entryRecordId, Instant entryTime)
    {
        var e = new LogEvent
        {
            RecordId = (string?)n[0] ?? entryRecordId,
            AgentId = (string?)n[1] ?? "",
            Timestamp = n[2] is null ? entryTime : Instant.FromUnixTimeTicks((long)n[2]!),
            Original = (string?)n[3] ?? "",
        };
        AddFields(e, n[4]!.AsObject());
        return e;
    }

    private static CorrelationEntry EntryFromObject(JsonNode n, HashSet<string>? kept) => new()
    {
        Time = Instant.FromUnixTimeTicks((long)n["t"]!),
        RecordId = (string)n["id"]!,
        RuleIndex = (int)n["rule"]!,
        Key = (string?)n["key"],
        Number = (double?)n["number"] ?? double.NaN,
        RecordIds = n["recordIds"]!.AsArray().Select(r => (string)r!).ToArray(),
        Events = n["events"]!.AsArray().Select(e => Kept(EventFromObject(e!), kept)).ToArray(),
    };

    private static LogEvent EventFromObject(JsonNode n)
    {
        var e = new LogEvent
        {
            RecordId = (string)n["recordId"]!,
            AgentId = (string?)n["agentId"] ?? "",
            Timestamp = Instant.FromUnixTimeTicks((long)n["t"]!),
            Original = (string?)n["original"] ?? "",
        };
        AddFields(e, n["fields"]!.AsObject());
        return e;
    }

    private static void AddFields(LogEvent e, JsonObject fields)
    {
        foreach (var (name, value) in fields)
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
    }
}
