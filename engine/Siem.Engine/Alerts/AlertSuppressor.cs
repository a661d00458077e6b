using System.Security.Cryptography;
using System.Text;
using NodaTime;
using Siem.Engine.Detection;

namespace Siem.Engine.Alerts;

/// <summary>
/// Folds repeated hits of one rule for one group key into one open alert while they fall within the window
/// (event time, measured from the alert's first match): the count grows by the number of records not folded yet,
/// so a redelivered batch does not inflate it. The alert id is derived from rule, group key and first record id,
/// so reprocessing after a restart produces the same id and the index upserts instead of duplicating.
/// At most <see cref="MaxOpenAlerts"/> are kept open; beyond that the least recently seen one is closed.
/// </summary>
public sealed partial class AlertSuppressor
{
    public const int MaxRecordIds = 1000;
    public const int MaxOpenAlerts = 100_000;
    /// <summary>Record ids remembered per open alert to recognise redelivered records.</summary>
    public const int MaxTrackedRecords = 20_000;

    private readonly Duration _window;
    private readonly Dictionary<string, OpenAlert> _open = new(StringComparer.Ordinal);

    public AlertSuppressor(Duration window) => _window = window;

    public int OpenCount => _open.Count;

    /// <summary>Grows with every change of the open alerts (to skip snapshots when nothing changed).</summary>
    public long Version { get; private set; }

    /// <summary>Returns the new or updated alert, or null when every record of the hit was already folded.</summary>
    public AlertDocument? Fold(DetectionHit hit, out bool isNew)
    {
        ArgumentNullException.ThrowIfNull(hit);
        string key = GroupKey(hit);
        if (_open.TryGetValue(key, out var open)
            && hit.First < open.Doc.FirstSeen + _window && hit.Last > open.Doc.FirstSeen - _window)
        {
            isNew = false;
            List<string>? added = null;
            foreach (var r in hit.RecordIds)
            {
                if (open.Track(r)) (added ??= []).Add(r);
            }
            if (added == null && hit.RecordIds.Count > 0) return null;
            Version++;
            // Records not tracked yet are not among the document's ids either (those are the first ones tracked).
            var ids = added == null || open.Doc.RecordIds.Count >= MaxRecordIds
                ? open.Doc.RecordIds
                : [.. open.Doc.RecordIds, .. added.Take(MaxRecordIds - open.Doc.RecordIds.Count)];
            open.Doc = open.Doc with
            {
                Count = open.Doc.Count + Math.Max(added?.Count ?? 0, 1),
                FirstSeen = Instant.Min(open.Doc.FirstSeen, hit.First),
                LastSeen = Instant.Max(open.Doc.LastSeen, hit.Last),
                RecordIds = ids,
            };
            return open.Doc;
        }

        isNew = true;
        Version++;
        if (_open.Count >= MaxOpenAlerts) EvictOldest();
        var opened = new OpenAlert { Doc = null! };
        foreach (var r in hit.RecordIds) opened.Track(r);
        var doc = new AlertDocument
        {
            AlertId = AlertId(key, hit.RecordIds.Count > 0 ? hit.RecordIds[0] : AlertJson.FormatInstant(hit.First)),
            RuleId = hit.RuleId,
            Title = hit.Title,
            Level = hit.Level,
            Kind = hit.Kind,
            Description = hit.Description,
            Tags = hit.Tags,
            GroupBy = hit.GroupBy,
            Fields = hit.Fields,
            RecordIds = [.. opened.Order.Take(MaxRecordIds)],
            FirstSeen = hit.First,
            LastSeen = hit.Last,
            Count = Math.Max(opened.Records.Count, 1),
        };
        opened.Doc = doc;
        _open[key] = opened;
        return doc;
    }

    private void EvictOldest()
    {
        string? oldest = null;
        Instant min = Instant.MaxValue;
        foreach (var (k, v) in _open)
        {
            if (v.Doc.LastSeen < min) { min = v.Doc.LastSeen; oldest = k; }
        }
        if (oldest != null) _open.Remove(oldest);
    }

    private static string GroupKey(DetectionHit hit)
    {
        var sb = new StringBuilder(hit.RuleId);
        foreach (var kv in hit.GroupBy.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            sb.Append('\u0001').Append(kv.Key).Append('=').Append(kv.Value);
        }
        return sb.ToString();
    }

    private static string AlertId(string groupKey, string firstRecord)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(groupKey + "\u0002" + firstRecord));
        const string alphabet = "abcdefghijklmnopqrstuvwxyz234567";
        var sb = new StringBuilder(26);
        int buffer = 0, bits = 0, i = 0;
        while (sb.Length < 26)
        {
            if (bits < 5) { buffer = (buffer << 8) | hash[i++]; bits += 8; }
            sb.Append(alphabet[(buffer >> (bits - 5)) & 31]);
            bits -= 5;
        }
        return sb.ToString();
    }

    /// <summary>
    /// An open alert and the record ids folded into it, so a redelivered record does not count twice. Only the most
    /// recent <see cref="MaxTrackedRecords"/> are remembered (a busy alert would otherwise keep every record id of its
    /// window in memory and in each snapshot); redeliveries come within seconds, far inside that.
    /// </summary>
    private sealed class OpenAlert
    {
        public required AlertDocument Doc { get; set; }
        public HashSet<string> Records { get; } = new(StringComparer.Ordinal);
        /// <summary>The tracked record ids, oldest first.</summary>
        public Queue<string> Order { get; } = new();

        /// <summary>Remembers a record id; false when it was already folded.</summary>
        public bool Track(string recordId)
        {
            if (!Records.Add(recordId)) return false;
            Order.Enqueue(recordId);
            if (Order.Count > MaxTrackedRecords) Records.Remove(Order.Dequeue());
            return true;
        }
    }
}
