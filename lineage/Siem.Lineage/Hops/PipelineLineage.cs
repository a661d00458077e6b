using System.Globalization;
using Siem.Core.Events;
using Siem.Lineage.Subjects;

namespace Siem.Lineage.Hops;

/// <summary>
/// What an engine needs to report lineage: where hops go, how subjects are pseudonymized, and the names of this engine
/// instance and of the index it writes. <see cref="Describe"/> turns a record into its <see cref="RecordLineage"/>
/// (source hop + subject ids; never an identifier value: a personal device's host name is left out).
/// </summary>
public sealed record PipelineLineage(ILineageRecorder Recorder, SubjectPseudonymizer Subjects, string EngineInstance, string Index)
{
    /// <summary>This process on this machine: <c>host/pid</c>.</summary>
    public static string DefaultEngineInstance => $"{Environment.MachineName}/{Environment.ProcessId}";

    /// <summary>The field the agent may put a record's byte offset in (file sources).</summary>
    public const string OffsetField = EcsFields.LogOffset;

    public RecordLineage Describe(LogEvent record)
    {
        ArgumentNullException.ThrowIfNull(record);
        var subjects = new List<string>(2);
        Subjects.CollectSubjectIds(record, subjects);
        var host = record.Get(EcsFields.HostName);
        if (Subjects.IsPersonalHostName(host)) host = null;
        var (kind, source) = SourceOf(record);
        long? offset = long.TryParse(record.Get(OffsetField), NumberStyles.None, CultureInfo.InvariantCulture, out var o) ? o : null;
        return new RecordLineage(record.RecordId, host, kind, source, offset, record.Timestamp, subjects);
    }

    /// <summary>The subject ids of an alert: its records' (those at hand) plus those of its group-by and key field values.</summary>
    public IReadOnlyList<string> AlertSubjects(IEnumerable<string> recordIds, IReadOnlyDictionary<string, IReadOnlyList<string>> subjectsByRecord,
        IEnumerable<KeyValuePair<string, string>> groupBy, IEnumerable<KeyValuePair<string, string>> fields)
    {
        ArgumentNullException.ThrowIfNull(recordIds);
        ArgumentNullException.ThrowIfNull(subjectsByRecord);
        var subjects = new List<string>();
        foreach (var id in recordIds)
        {
            if (!subjectsByRecord.TryGetValue(id, out var ids)) continue;
            foreach (var s in ids) if (!subjects.Contains(s)) subjects.Add(s);
        }
        Subjects.CollectSubjectIds(groupBy, subjects);
        Subjects.CollectSubjectIds(fields, subjects);
        return subjects;
    }

    private static (string? Kind, string? Source) SourceOf(LogEvent e)
    {
        if (e.Get(EcsFields.LogFilePath) is { } path) return ("file", path);
        if (e.Get("log.source.address") is { } peer) return ("syslog", peer);
        if (e.Get(EcsFields.LogSyslogAppName) != null || e.Get(EcsFields.LogSyslogFacility) != null) return ("syslog", null);
        if (e.Get("journald.cursor") is { } cursor) return ("journald", cursor);
        return (null, null);
    }
}
