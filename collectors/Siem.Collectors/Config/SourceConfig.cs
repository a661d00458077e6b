namespace Siem.Collectors.Config;

/// <summary>One <c>sources:</c> entry. <see cref="Type"/>: file, syslog_udp, syslog_tcp, journald, stdin.</summary>
public sealed record SourceConfig
{
    public required string Type { get; init; }
    /// <summary>Unique name (checkpoint file name); defaults to "&lt;type&gt;-&lt;index&gt;".</summary>
    public required string Name { get; init; }
    public IReadOnlyList<string> Paths { get; init; } = [];
    public IReadOnlyList<string> Exclude { get; init; } = [];
    public bool StartAtEnd { get; init; }
    /// <summary>syslog listeners: "host:port".</summary>
    public string? Listen { get; init; }
    public string? TlsCertFile { get; init; }
    public string? TlsKeyFile { get; init; }
    /// <summary>The operator's label for what this source carries (<c>cisco</c>, <c>postgresql</c>, ...): every record gets it as
    /// <c>event.module</c> unless the record names its own (an auditd record, a Cisco message code, a JSON field), so the
    /// rule engine knows which Sigma logsources may judge it. Null: none.</summary>
    public string? Module { get; init; }
    /// <summary>Where the entry is in the config file, for errors raised when the source starts.</summary>
    public string Location { get; init; } = "";
}
