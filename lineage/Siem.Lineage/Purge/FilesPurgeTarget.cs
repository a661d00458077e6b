using System.Globalization;
using System.Text;
using System.Text.Json;
using Siem.Core.Security;

namespace Siem.Lineage.Purge;

/// <summary>
/// The JSON-lines files the platform writes next to its stores: the alert dead-letter file, the delivery log and the
/// Elasticsearch dead-letter file (<c>*.jsonl</c> directly under the data dir). Each is rewritten (atomically, 0600)
/// without the subject: lines about a deleted alert or one of the subject's records are dropped, other lines holding
/// the value get it replaced by <c>[redacted]</c>.
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
                var clean = scope.Matcher is { } m && m.IsMatch(line) ? m.Replace(line, Redacted) : line;
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

    /// <summary>A line about a deleted alert (by alert_id) or carrying one of the subject's record ids.</summary>
    private static bool AboutSubject(string line, PurgeScope scope)
    {
        try
        {
            using var doc = JsonDocument.Parse(line);
            var root = doc.RootElement;
            if (root.ValueKind == JsonValueKind.Object && root.TryGetProperty("alert_id", out var a) && a.ValueKind == JsonValueKind.String
                && scope.DeletedAlertIds.Contains(a.GetString()!))
                return true;
        }
        catch (JsonException)
        {
            // Not JSON (a torn last line): judged by its text below.
        }
        return scope.RecordIds.Count > 0 && scope.RecordIds.Any(id => line.Contains(id, StringComparison.Ordinal));
    }
}
