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
    public const string LogSyslogFacility = "log.syslog.facility.code";
    public const string LogSyslogSeverity = "log.syslog.severity.code";
    public const string LogSyslogAppName = "log.syslog.appname";
    public const string Tags = "tags";
    /// <summary>Tag put on a record no parser understood; the line is kept whole in <see cref="Message"/>.</summary>
    public const string ParseFailureTag = "_parse_failure";
}
