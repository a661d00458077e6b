namespace Siem.Core.Events;

/// <summary>ECS field names shared by the agent's parsers, the rules' default pipeline and the index.</summary>
public static class EcsFields
{
    public const string Timestamp = "@timestamp";
    public const string Message = "message";
    public const string EventKind = "event.kind";
    public const string EventCategory = "event.category";
    public const string EventType = "event.type";
    public const string EventAction = "event.action";
    public const string EventOutcome = "event.outcome";
    public const string EventDataset = "event.dataset";
    public const string EventModule = "event.module";
    public const string HostName = "host.name";
    public const string UserName = "user.name";
    public const string UserId = "user.id";
    public const string UserEmail = "user.email";
    public const string UserTargetName = "user.target.name";
    public const string GroupName = "group.name";
    public const string SourceIp = "source.ip";
    public const string SourcePort = "source.port";
    public const string DestinationIp = "destination.ip";
    public const string DestinationPort = "destination.port";
    public const string ProcessName = "process.name";
    public const string ProcessPid = "process.pid";
    public const string ProcessExecutable = "process.executable";
    public const string ProcessCommandLine = "process.command_line";
    public const string ProcessParentPid = "process.parent.pid";
    public const string ProcessWorkingDirectory = "process.working_directory";
    public const string LogFilePath = "log.file.path";
    public const string LogOffset = "log.offset";
    public const string LogSyslogFacility = "log.syslog.facility.code";
    public const string LogSyslogSeverity = "log.syslog.severity.code";
    public const string LogSyslogAppName = "log.syslog.appname";
    public const string Tags = "tags";
    public const string EventCode = "event.code";
    public const string UserEffectiveName = "user.effective.name";
    public const string UserAuditId = "user.audit.id";
    public const string GroupId = "group.id";
    public const string SourceDomain = "source.domain";
    public const string ProcessArgs = "process.args";
    public const string ProcessParentExecutable = "process.parent.executable";
    public const string WinlogChannel = "winlog.channel";
    public const string WinlogProviderName = "winlog.provider_name";
    public const string WinlogRecordId = "winlog.record_id";
    public const string LogSyslogHostname = "log.syslog.hostname";
    public const string LogSyslogProcId = "log.syslog.procid";
    public const string LogSyslogMsgId = "log.syslog.msgid";
    public const string LogSyslogVersion = "log.syslog.version";
    /// <summary>Prefix of RFC 5424 structured data: <c>log.syslog.structured_data.&lt;sd-id&gt;.&lt;param&gt;</c>.</summary>
    public const string LogSyslogStructuredDataPrefix = "log.syslog.structured_data.";
    /// <summary>Tag put on a record whose source line was longer than the source's maximum (only its first part is kept).</summary>
    public const string TruncatedTag = "_truncated";
    /// <summary>Tag put on a record whose bytes were not valid UTF-8 (decoded with U+FFFD replacements).</summary>
    public const string InvalidUtf8Tag = "_invalid_utf8";
    /// <summary>Tag put on a syslog record whose &lt;PRI&gt; was malformed or out of range; the rest of the line was still parsed.</summary>
    public const string InvalidPriTag = "_syslog_invalid_pri";
    /// <summary>Tag put on a record no parser understood; the line is kept whole in <see cref="Message"/>.</summary>
    public const string ParseFailureTag = "_parse_failure";
}
