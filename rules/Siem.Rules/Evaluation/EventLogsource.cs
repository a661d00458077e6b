namespace Siem.Rules.Evaluation;

/// <summary>
/// What an event says about its Sigma logsource, derived from its fields; null parts are unknown and never
/// exclude a rule. Windows: <c>Channel</c> (or <c>winlog.channel</c>) gives product windows and the service;
/// the category comes from the event id for channels whose ids we know (Sysmon, Security, PowerShell), so a
/// Sysmon event 1 gets process_creation and a Security 4624 gets no category (category rules cannot apply).
/// Others: <c>event.module</c> names the service (auditd, sshd, ...) and <c>host.os.type</c>, a Linux module or a Linux
/// program in <c>process.name</c> (sshd, sudo, cron, ...) the product;
/// an event with no Windows event-log field at all (Channel, EventID, Provider_Name, winlog.*) is not given
/// product-windows rules, and one the agent did not mark <c>event.module: cisco</c> no product-cisco rules. Only
/// database logs (a database <c>event.module</c> or server program) meet category-database rules.
/// </summary>
internal sealed record EventLogsource(string? Product, string? Service, IReadOnlySet<string>? Categories)
{
    private static readonly Dictionary<string, string> _serviceByChannel = new(StringComparer.OrdinalIgnoreCase)
    {
        ["Security"] = "security",
        ["System"] = "system",
        ["Application"] = "application",
        ["Microsoft-Windows-Sysmon/Operational"] = "sysmon",
        ["Windows PowerShell"] = "powershell-classic",
        ["Microsoft-Windows-PowerShell/Operational"] = "powershell",
        ["PowerShellCore/Operational"] = "powershell",
        ["Microsoft-Windows-Windows Defender/Operational"] = "windefend",
        ["Microsoft-Windows-TaskScheduler/Operational"] = "taskscheduler",
        ["Microsoft-Windows-WMI-Activity/Operational"] = "wmi",
        ["Microsoft-Windows-DNS-Client/Operational"] = "dns-client",
        ["DNS Server"] = "dns-server",
        ["Microsoft-Windows-NTLM/Operational"] = "ntlm",
        ["Microsoft-Windows-Bits-Client/Operational"] = "bits-client",
        ["Microsoft-Windows-CodeIntegrity/Operational"] = "codeintegrity-operational",
        ["Microsoft-Windows-Windows Firewall With Advanced Security/Firewall"] = "firewall-as",
        ["Microsoft-Windows-AppLocker/EXE and DLL"] = "applocker",
        ["Microsoft-Windows-AppLocker/MSI and Script"] = "applocker",
        ["Microsoft-Windows-AppLocker/Packaged app-Deployment"] = "applocker",
        ["Microsoft-Windows-AppLocker/Packaged app-Execution"] = "applocker",
        ["Microsoft-Windows-TerminalServices-LocalSessionManager/Operational"] = "terminalservices-localsessionmanager",
        ["Microsoft-Windows-DriverFrameworks-UserMode/Operational"] = "driver-framework",
    };

    private static readonly Dictionary<string, string[]> _sysmonCategories = new(StringComparer.Ordinal)
    {
        ["1"] = ["process_creation"],
        ["2"] = ["file_change"],
        ["3"] = ["network_connection"],
        ["4"] = ["sysmon_status"],
        ["5"] = ["process_termination"],
        ["6"] = ["driver_load"],
        ["7"] = ["image_load"],
        ["8"] = ["create_remote_thread"],
        ["9"] = ["raw_access_thread"],
        ["10"] = ["process_access"],
        ["11"] = ["file_event"],
        ["12"] = ["registry_add", "registry_delete", "registry_event"],
        ["13"] = ["registry_set", "registry_event"],
        ["14"] = ["registry_rename", "registry_event"],
        ["15"] = ["create_stream_hash"],
        ["16"] = ["sysmon_status"],
        ["17"] = ["pipe_created"],
        ["18"] = ["pipe_created"],
        ["19"] = ["wmi_event"],
        ["20"] = ["wmi_event"],
        ["21"] = ["wmi_event"],
        ["22"] = ["dns_query"],
        ["23"] = ["file_delete"],
        ["24"] = ["clipboard_capture"],
        ["25"] = ["process_tampering"],
        ["26"] = ["file_delete_detected", "file_delete"],
        ["27"] = ["file_block_executable"],
        ["28"] = ["file_block_shredding"],
        ["29"] = ["file_executable_detected"],
        ["255"] = ["sysmon_error"],
    };

    private static readonly Dictionary<string, string[]> _securityCategories = new(StringComparer.Ordinal)
    {
        ["4688"] = ["process_creation"],
        ["4689"] = ["process_termination"],
        ["5156"] = ["network_connection"],
        ["4657"] = ["registry_set", "registry_event"],
        ["4663"] = ["file_access"],
    };

    private static readonly Dictionary<string, string[]> _powershellCategories = new(StringComparer.Ordinal)
    {
        ["4103"] = ["ps_module"],
        ["4104"] = ["ps_script"],
        ["400"] = ["ps_classic_start"],
        ["403"] = ["ps_classic_start"],
        ["600"] = ["ps_classic_provider_start"],
        ["800"] = ["ps_classic_script"],
    };

    private static readonly HashSet<string> _linuxModules = new(StringComparer.OrdinalIgnoreCase)
    {
        "auditd", "sshd", "sudo", "su", "cron", "syslog", "journald", "auth", "linux", "useradd", "groupadd", "passwd",
    };

    /// <summary>Programs that only run on Linux/Unix hosts: a syslog line from one of them is a Linux event (so a Cisco
    /// keyword rule looking for "more" does not judge "PAM 2 more authentication failures" from sshd).</summary>
    private static readonly HashSet<string> _linuxPrograms = new(StringComparer.OrdinalIgnoreCase)
    {
        "sshd", "sshd-session", "sudo", "su", "cron", "crond", "anacron", "useradd", "usermod", "userdel", "groupadd",
        "groupmod", "passwd", "chpasswd", "login", "systemd", "systemd-logind", "polkitd", "auditd", "dbus-daemon",
        "kernel", "rsyslogd", "unix_chkpwd", "pkexec", "chage", "gpasswd", "newgrp",
    };

    /// <summary>Modules (event.module, or a database server's program name) of database logs: category database.</summary>
    private static readonly Dictionary<string, string> _databaseModuleByProgram = new(StringComparer.OrdinalIgnoreCase)
    {
        ["postgres"] = "postgresql", ["postgresql"] = "postgresql", ["mysqld"] = "mysql", ["mysql"] = "mysql",
        ["mariadbd"] = "mysql", ["mariadb"] = "mysql", ["mongod"] = "mongodb", ["mongodb"] = "mongodb",
        ["sqlservr"] = "mssql", ["mssql"] = "mssql", ["oracle"] = "oracle", ["redis-server"] = "redis", ["redis"] = "redis",
    };

    /// <summary>The database module of a database server program (postgres → postgresql), else null.</summary>
    public static string? ModuleOfProgram(string? program) =>
        program is not null && _databaseModuleByProgram.TryGetValue(program, out var module) ? module : null;

    /// <summary>"linux" when the program (process.name) is a Linux daemon or tool, else null (unknown).</summary>
    public static string? OsOfProgram(string? program) => program is not null && _linuxPrograms.Contains(program) ? "linux" : null;

    /// <summary>Products recognised only by their own markers: Windows by event-log fields, Cisco by its message codes
    /// (the agent's <c>event.module: cisco</c>). Their rules never judge an event that bears no such marker.</summary>
    private static readonly HashSet<string> _markedProducts = new(StringComparer.Ordinal) { "windows", "cisco" };

    /// <summary>Product of an event with no product marker but otherwise unknown: admits every rule but those of the
    /// marked products (Windows, Cisco).</summary>
    public const string Unmarked = "\0unmarked";

    public static EventLogsource Unknown { get; } = new(null, null, null);

    private static readonly HashSet<string> _database = new(StringComparer.Ordinal) { "database" };

    /// <summary>Derives the logsource from the raw values of <c>Channel</c>, <c>EventID</c> and <c>event.module</c> (+ os type).</summary>
    /// <param name="windowsMarker">The event has a Windows event-log field (EventID, Provider_Name, ...) even without a channel.</param>
    public static EventLogsource Resolve(string? channel, string? eventId, string? module, string? osType, bool windowsMarker)
    {
        if (channel is not null)
        {
            _serviceByChannel.TryGetValue(channel, out var service);
            var table = service switch
            {
                "sysmon" => _sysmonCategories,
                "security" => _securityCategories,
                "powershell" or "powershell-classic" => _powershellCategories,
                _ => null,
            };
            IReadOnlySet<string>? categories = null;
            if (table is not null)
            {
                categories = eventId is not null && table.TryGetValue(eventId.Trim(), out var cats)
                    ? new HashSet<string>(cats, StringComparer.Ordinal)
                    : new HashSet<string>(StringComparer.Ordinal);
            }
            return new EventLogsource("windows", service, categories);
        }
        // No Windows event-log field at all: not a Windows event, so product-windows rules cannot apply.
        var product = osType?.ToLowerInvariant() ?? (windowsMarker ? null : Unmarked);
        if (module is not null)
        {
            if (module.Equals("cisco", StringComparison.OrdinalIgnoreCase))
            {
                // The service (aaa, ldp, ...) is not in the message code: every Cisco rule may judge it.
                return new EventLogsource("cisco", null, null);
            }
            if (_linuxModules.Contains(module))
            {
                product = "linux";
            }
            // Database logs are category database (and only they: that rule's keywords are "drop", "dump", "truncate").
            IReadOnlySet<string>? categories = _databaseModuleByProgram.ContainsKey(module) ? _database : null;
            return new EventLogsource(product, module.ToLowerInvariant(), categories);
        }
        return new EventLogsource(product, null, null);
    }

    public bool Admits(SigmaLogsource rule) =>
        (rule.Product is null || Product is null || rule.Product == Product || (Product == Unmarked && !_markedProducts.Contains(rule.Product)))
        && (rule.Service is null || Service is null || rule.Service == Service)
        && (rule.Category is null || Categories is null || Categories.Contains(rule.Category))
        && (rule.Category != "database" || Categories is not null && Categories.Contains("database"));
}
