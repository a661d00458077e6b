using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Siem.Core.Security;

namespace Siem.Lineage.Purge;

/// <summary>
/// The JSON-lines files the platform writes next to its stores: the alert dead-letter file, the delivery log and the
/// Elasticsearch dead-letter file (<c>*.jsonl</c> directly under the data dir). Each is rewritten (atomically, 0600)
/// without the subject: lines about a deleted alert are dropped; in other lines the subject's record ids are removed
/// and the value is replaced by <c>[redacted]</c>.
/// </summary>
public sealed class FilesPurgeTarget : IPurgeTarget
{
    public const string Redacted = "[redacted]";

    public string Name => "files";

    public Task<PurgeStoreResult> PurgeAsync(PurgeScope scope, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(scope);
        long dropped = 0, redacted = 0, files = 0;
        foreach (var path in Files(scope.DataDir))
        {
            cancellationToken.ThrowIfCancellationRequested();
            var sb = new StringBuilder();
            bool changed = false;
            foreach (var line in File.ReadLines(path))
            {
                if (line.Length == 0) continue;
                if (AboutSubject(line, scope))
                {
                    dropped++;
                    changed = true;
                    continue;
                }
                var clean = Scrub(line, scope);
                if (!ReferenceEquals(clean, line))
                {
                    redacted++;
                    changed = true;
                }
                sb.Append(clean).Append('\n');
            }
            if (!changed) continue;
            SecureFile.WriteAllText(path, sb.ToString());
            files++;
        }
        return Task.FromResult(new PurgeStoreResult(Name, Deleted: dropped, Redacted: redacted, Rewritten: files,
            Note: string.Create(CultureInfo.InvariantCulture, $"{files} file(s) rewritten: {dropped} lines dropped, {redacted} lines redacted")));
    }

    public Task<PurgeStoreCheck> VerifyAsync(PurgeScope scope, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(scope);
        long raw = scope.Matcher == null ? -1 : 0, ids = 0;
        var where = new List<string>();
        foreach (var path in Files(scope.DataDir))
        {
            int lineNo = 0;
            foreach (var line in File.ReadLines(path))
            {
                lineNo++;
                if (scope.Matcher is { } m && m.IsMatch(line))
                {
                    raw++;
                    where.Add(string.Create(CultureInfo.InvariantCulture, $"{Path.GetFileName(path)}:{lineNo} holds the value"));
                }
                if (AboutSubject(line, scope) || line.Contains(scope.SubjectId, StringComparison.Ordinal))
                {
                    ids++;
                    where.Add(string.Create(CultureInfo.InvariantCulture, $"{Path.GetFileName(path)}:{lineNo} is about the subject"));
                }
            }
        }
        return Task.FromResult(new PurgeStoreCheck(Name, raw, ids, where));
    }

    private static IEnumerable<string> Files(string dataDir) =>
        Directory.Exists(dataDir) ? Directory.GetFiles(dataDir, "*.jsonl").Order(StringComparer.Ordinal) : [];

    /// <summary>A line about a deleted alert (by alert_id), or a line that is not JSON and names one of the subject's records.</summary>
    private static bool AboutSubject(string line, PurgeScope scope)
    {
        try
        {
            using var doc = JsonDocument.Parse(line);
            var root = doc.RootElement;
            return root.ValueKind == JsonValueKind.Object && root.TryGetProperty("alert_id", out var a) && a.ValueKind == JsonValueKind.String
                && scope.DeletedAlertIds.Contains(a.GetString()!);
        }
        catch (JsonException)
        {
            // Not JSON (a torn last line): cannot be rewritten field by field, so it goes when it names the subject.
            return scope.RecordIds.Any(id => line.Contains(id, StringComparison.Ordinal));
        }
    }

    /// <summary>The line without the subject: their record ids removed from arrays, the value replaced in every string
    /// (a dead-lettered alert that also concerns others stays deliverable). Returns the same instance when unchanged.</summary>
    private static string Scrub(string line, PurgeScope scope)
    {
        bool valueHit = scope.Matcher?.IsMatch(line) == true;
        bool idHit = scope.RecordIds.Any(id => line.Contains(id, StringComparison.Ordinal));
        if (!valueHit && !idHit) return line;
        JsonNode? root;
        try
        {
            root = JsonNode.Parse(line);
        }
        catch (JsonException)
        {
            return scope.Matcher is { } m ? m.Replace(line, Redacted) : line;
        }
        ScrubNode(root, scope);
        return root?.ToJsonString() ?? line;
    }

    private static void ScrubNode(JsonNode? node, PurgeScope scope)
    {
        switch (node)
        {
            case JsonObject o:
                foreach (var (key, child) in o.ToList())
                {
                    if (child is JsonValue v && v.TryGetValue<string>(out var s)) o[key] = Clean(s, scope);
                    else ScrubNode(child, scope);
                }
                break;
            case JsonArray a:
                for (int i = a.Count - 1; i >= 0; i--)
                {
                    if (a[i] is JsonValue v && v.TryGetValue<string>(out var s))
                    {
                        if (scope.RecordIds.Contains(s)) a.RemoveAt(i);
                        else a[i] = Clean(s, scope);
                    }
                    else
                    {
                        ScrubNode(a[i], scope);
                    }
                }
                break;
        }
    }

    private static string Clean(string s, PurgeScope scope) => scope.Matcher is { } m && m.IsMatch(s) ? m.Replace(s, Redacted) : s;
}
