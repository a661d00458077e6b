using System.Text.Json;
using System.Text.Json.Nodes;

namespace Siem.Engine.Purge;

/// <summary>
/// The one place that knows how a purged subject is removed from saved detection state: the correlation engine's
/// snapshot (open windows: groups, their matches with the matched events, the dedupe keys) and the alert suppressor's
/// (open alerts), as saved: the purge process cleans the files under the data dir and the partition snapshots in KV
/// here, so a change of either snapshot format is made here once. Running engines and partition workers forget in
/// memory instead (<c>CorrelationEngine.Forget</c>, <see cref="Alerts.AlertSuppressor.Forget"/>).
/// A match is removed when it stands for one of the subject's records or holds the value; a group whose group-by
/// values hold the value goes whole, and so does a group left without matches. An open alert goes when it folded one
/// of the subject's records, is one the purge deleted or redacted, or holds the value: the engine then opens a new
/// alert for later matches instead of folding them into (and re-indexing) what the purge redacted.
/// An unknown snapshot version is an error (a purge must not pass over state it cannot read).
/// </summary>
internal static class CorrelationStateScrubber
{
    /// <summary>1: matches as objects; 2: matches as arrays <c>[t, id, rule, key, number, recordIds|null, events]</c>.</summary>
    private static readonly int[] CorrelationVersions = [1, 2];
    private const int SuppressionVersion = 1;

    /// <summary>What was removed from one snapshot.</summary>
    internal readonly record struct Removed(int Matches, int Groups, int Alerts)
    {
        public int Total => Matches + Groups + Alerts;
        public static Removed operator +(Removed a, Removed b) => new(a.Matches + b.Matches, a.Groups + b.Groups, a.Alerts + b.Alerts);
    }

    /// <summary>The correlation snapshot without the subject, or null when it holds nothing of the subject.</summary>
    public static byte[]? ScrubCorrelation(byte[] snapshot, SubjectForgetting forget, out Removed removed)
    {
        var root = Parse(snapshot, "correlation");
        removed = ScrubCorrelation(root, forget);
        return removed.Total == 0 ? null : JsonSerializer.SerializeToUtf8Bytes(root);
    }

    /// <summary>The suppression snapshot without the subject's open alerts, or null when it holds none.</summary>
    public static byte[]? ScrubSuppression(byte[] snapshot, SubjectForgetting forget, out Removed removed)
    {
        var root = Parse(snapshot, "suppression");
        removed = ScrubSuppression(root, forget);
        return removed.Total == 0 ? null : JsonSerializer.SerializeToUtf8Bytes(root);
    }

    public static Removed ScrubCorrelation(JsonNode root, SubjectForgetting forget)
    {
        int version = CheckVersion(root, CorrelationVersions, "correlation");
        int matches = 0, groups = 0;
        foreach (var rule in Array(root, "rules").OfType<JsonNode>())
        {
            var groupList = Array(rule, "groups");
            for (int g = groupList.Count - 1; g >= 0; g--)
            {
                var group = groupList[g]!;
                if (Strings(group["values"]).Any(forget.HoldsValue))
                {
                    matches += Array(group, "entries").Count;
                    groupList.RemoveAt(g);
                    groups++;
                    continue;
                }
                var entries = Array(group, "entries");
                int before = entries.Count;
                for (int i = entries.Count - 1; i >= 0; i--)
                {
                    if (!EntryConcerns(entries[i]!, version, forget)) continue;
                    entries.RemoveAt(i);
                    matches++;
                }
                var seen = Array(group, "seen");
                for (int i = seen.Count - 1; i >= 0; i--)
                {
                    if (seen[i] is JsonArray key && key.Count > 0 && (string?)key[0] is { } id && forget.RecordIds.Contains(id)) seen.RemoveAt(i);
                }
                if (before > 0 && entries.Count == 0)
                {
                    groupList.RemoveAt(g);
                    groups++;
                }
            }
        }
        return new Removed(matches, groups, 0);
    }

    public static Removed ScrubSuppression(JsonNode root, SubjectForgetting forget)
    {
        CheckVersion(root, [SuppressionVersion], "suppression");
        var open = Array(root, "open");
        int alerts = 0;
        for (int i = open.Count - 1; i >= 0; i--)
        {
            var item = open[i]!;
            var alert = item["alert"];
            bool concerns = forget.HoldsValue((string?)item["key"])
                || Strings(item["records"]).Any(r => r != null && forget.RecordIds.Contains(r))
                || ((string?)alert?["alert_id"] is { } alertId && forget.AlertIds.Contains(alertId))
                || Strings(alert?["record_ids"]).Any(r => r != null && forget.RecordIds.Contains(r))
                || (forget.Value != null && alert != null && forget.HoldsValue(alert.ToJsonString()));
            if (!concerns) continue;
            open.RemoveAt(i);
            alerts++;
        }
        return new Removed(0, 0, alerts);
    }

    private static bool EntryConcerns(JsonNode entry, int version, SubjectForgetting forget)
    {
        var (id, key, recordIds, events) = version == 1
            ? ((string?)entry["id"], entry["key"], entry["recordIds"], entry["events"])
            : ((string?)entry[1], entry[3], entry[5], entry[6]);
        if (id != null && forget.RecordIds.Contains(id)) return true;
        if (Strings(recordIds).Any(r => r != null && forget.RecordIds.Contains(r))) return true;
        if (forget.Value == null) return false;
        // The condition field's value (value_count) or a matched event's line or fields.
        return (key is JsonValue k && k.TryGetValue<string>(out var keyText) && forget.HoldsValue(keyText))
            || (events is JsonArray list && forget.HoldsValue(list.ToJsonString()));
    }

    private static JsonNode Parse(byte[] snapshot, string kind)
    {
        try
        {
            return JsonNode.Parse(snapshot) ?? throw new InvalidDataException($"{kind} snapshot is empty");
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"{kind} snapshot is not valid JSON: {ex.Message}", ex);
        }
    }

    private static int CheckVersion(JsonNode root, int[] known, string kind)
    {
        if ((int?)root["version"] is { } v && known.Contains(v)) return v;
        throw new InvalidDataException($"{kind} snapshot version {root["version"]?.ToJsonString() ?? "(none)"} is not one the purge can clean (known: {string.Join(", ", known)})");
    }

    private static JsonArray Array(JsonNode node, string name) =>
        node[name] as JsonArray ?? throw new InvalidDataException($"snapshot: '{name}' is missing or not an array");

    private static IEnumerable<string?> Strings(JsonNode? node) =>
        node is JsonArray a ? a.Select(v => v is JsonValue s && s.TryGetValue<string>(out var str) ? str : null) : [];
}
