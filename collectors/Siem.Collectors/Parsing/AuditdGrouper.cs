using Siem.Collectors.Sources;

namespace Siem.Collectors.Parsing;

/// <summary>
/// Holds auditd records per stream until their event is complete: the records of one event share a serial
/// (<c>audit(time:serial)</c>) and are written one after another. A group closes when a record with another serial
/// arrives, at EOE, at <see cref="ParserOptions.MaxAuditGroupRecords"/>, or on flush.
/// </summary>
internal sealed class AuditdGrouper(ParserPipeline pipeline)
{
    private sealed class Pending
    {
        public required RawLine First { get; init; }
        public List<AuditdRecord> Records { get; } = [];
        public List<string> Lines { get; } = [];
    }

    private readonly Dictionary<string, Pending> _pending = new(StringComparer.Ordinal);

    public void Add(in RawLine line, string text, List<Siem.Core.Events.LogEvent> output)
    {
        if (!AuditdRecord.TryParse(text, out var record) || record is null)
        {
            var failed = pipeline.Failure(line, text);
            failed.Set("error.message", "line starts like an auditd record but has no type=... msg=audit(time:serial): header");
            output.Add(failed);
            return;
        }
        string key = line.SourceKey ?? "";
        if (_pending.TryGetValue(key, out var group) && (group.Records[0].Serial != record.Serial || group.Records[0].Time != record.Time))
        {
            Emit(key, group, output);
            group = null;
        }
        if (group is null)
        {
            group = new Pending { First = line };
            _pending[key] = group;
        }
        group.Records.Add(record);
        group.Lines.Add(text);
        if (record.Type == "EOE" || group.Records.Count >= pipeline.Options.MaxAuditGroupRecords)
        {
            Emit(key, group, output);
        }
    }

    public void FlushAll(List<Siem.Core.Events.LogEvent> output)
    {
        foreach (var (key, group) in _pending.ToList())
        {
            Emit(key, group, output);
        }
    }

    public long? OldestPendingOffset(string sourceKey) =>
        _pending.TryGetValue(sourceKey ?? "", out var group) ? group.First.Offset : null;

    private void Emit(string key, Pending group, List<Siem.Core.Events.LogEvent> output)
    {
        _pending.Remove(key);
        string original = group.Lines.Count == 1 ? group.Lines[0] : string.Join('\n', group.Lines);
        var e = pipeline.NewEvent(group.First, original, 0);
        AuditdEvents.Map(group.Records, e, pipeline.Options.HostName);
        output.Add(e);
    }
}
