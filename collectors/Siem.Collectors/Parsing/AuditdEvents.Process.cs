using Siem.Core.Events;

namespace Siem.Collectors.Parsing;

internal static partial class AuditdEvents
{
    private static void MapProcess(LogEvent e, List<string>? args, bool hasExecve)
    {
        if (e.Get("auditd.exe") is { } exe && exe != "(null)")
        {
            e.Set(EcsFields.ProcessExecutable, exe);
            e.Set(EcsFields.ProcessName, exe[(exe.LastIndexOf('/') + 1)..]);
        }
        else if (e.Get("auditd.comm") is { } comm)
        {
            e.Set(EcsFields.ProcessName, comm);
        }
        Copy(e, "auditd.pid", EcsFields.ProcessPid);
        Copy(e, "auditd.ppid", EcsFields.ProcessParentPid);
        Copy(e, "auditd.uid", EcsFields.UserId);
        Copy(e, "auditd.auid", EcsFields.UserAuditId);
        Copy(e, "auditd.euid", "user.effective.id");
        Copy(e, "auditd.cwd.cwd", EcsFields.ProcessWorkingDirectory);
        if (args is { Count: > 0 })
        {
            e.Fields[EcsFields.ProcessArgs] = args.ToArray();
            e.Set(EcsFields.ProcessCommandLine, string.Join(' ', args));
        }
        if (e.Get("auditd.success") is { } success)
        {
            e.Set(EcsFields.EventOutcome, success == "yes" ? "success" : "failure");
        }
        // x86_64 execve = 59, execveat = 322; the EXECVE record is present for both whatever the arch.
        string? syscall = e.Get("auditd.syscall");
        if (hasExecve || syscall is "59" or "322" or "execve" or "execveat")
        {
            e.Set(EcsFields.EventCategory, "process");
            e.Set(EcsFields.EventType, "start");
            e.Set(EcsFields.EventAction, "executed");
        }
    }

    /// <summary>User-space records (PAM, logins, sudo via USER_CMD, account changes) carry <c>res=success|failed</c>.</summary>
    private static void MapUserSpace(List<AuditdRecord> records, LogEvent e)
    {
        string type = records[0].Type;
        string prefix = "auditd." + type.ToLowerInvariant() + ".";
        if (e.Get(prefix + "res") is { } res)
        {
            e.Set(EcsFields.EventOutcome, res is "success" or "yes" ? "success" : "failure");
        }
        if (e.Get(prefix + "acct") is { } acct)
        {
            e.Set(EcsFields.UserName, acct);
        }
        if (e.Get(prefix + "addr") is { Length: > 0 } addr && addr != "?")
        {
            SshdParser.SetAddress(e, addr);
        }
        if (e.Get(prefix + "exe") is { } exe && e.Get(EcsFields.ProcessExecutable) is null)
        {
            e.Set(EcsFields.ProcessExecutable, exe);
        }
        Copy(e, prefix + "pid", EcsFields.ProcessPid);
        Copy(e, prefix + "uid", EcsFields.UserId);
        Copy(e, prefix + "auid", EcsFields.UserAuditId);
        (string? category, string? eventType) = type switch
        {
            "USER_AUTH" or "USER_ACCT" or "USER_ERR" => ("authentication", "info"),
            "USER_LOGIN" => ("authentication", "start"),
            "USER_START" or "LOGIN" => ("session", "start"),
            "USER_END" or "USER_LOGOUT" => ("session", "end"),
            "USER_CMD" => ("process", "start"),
            "ADD_USER" or "ADD_GROUP" => ("iam", "creation"),
            "DEL_USER" or "DEL_GROUP" => ("iam", "deletion"),
            "USER_MGMT" or "USER_CHAUTHTOK" or "GRP_MGMT" => ("iam", "change"),
            _ => (null, null),
        };
        if (category is not null && e.Get(EcsFields.EventCategory) is null)
        {
            e.Set(EcsFields.EventCategory, category);
            e.Set(EcsFields.EventType, eventType!);
        }
        if (type == "USER_CMD" && e.Get(prefix + "cmd") is { } cmd)
        {
            e.Set(EcsFields.ProcessCommandLine, cmd);
        }
    }

    /// <summary>
    /// auoms (Azure Monitor) puts one pre-joined record in SyslogMessage: <c>type=AUOMS_EXECVE audit(t:serial): ...
    /// exe="/bin/bash" cwd="/" cmdline="bash -c "..."" redactors= containerid=</c> — cmdline and proctitle are not
    /// escaped, so they run to the next known key.
    /// </summary>
    public static void MapAuoms(string syslogMessage, LogEvent e)
    {
        if (!AuditdRecord.TryParse(syslogMessage, out var record) || record is null)
        {
            return;
        }
        string body = syslogMessage[(syslogMessage.IndexOf("):", StringComparison.Ordinal) + 2)..];
        string? cmdline = RunToKnownKey(body, "cmdline=", unquote: true);
        string? proctitle = RunToKnownKey(body, "proctitle=", unquote: false);
        foreach (var (k, v, _) in record.Fields)
        {
            // Skip cmdline/proctitle, and "keys" that are really their unescaped arguments (-Dname=value).
            if (k is not ("cmdline" or "proctitle") && IsAuditdKey(k))
            {
                e.Set("auditd." + k, v);
            }
        }
        // The record is auditd from a Linux host: Linux rules apply, other products' keyword rules do not.
        e.Set(EcsFields.EventModule, "auditd");
        e.Set("auditd.type", record.Type);
        SetTime(record, e);
        e.Set("auditd.serial", record.Serial.ToString(System.Globalization.CultureInfo.InvariantCulture));
        if (proctitle is not null)
        {
            e.Set("auditd.proctitle", proctitle);
        }
        if (cmdline is not null)
        {
            e.Set("auditd.cmdline", cmdline);
        }
        MapProcess(e, null, hasExecve: record.Type.Contains("EXECVE", StringComparison.Ordinal));
        if (cmdline is not null)
        {
            e.Set(EcsFields.ProcessCommandLine, cmdline);
        }
        Copy(e, "auditd.user", EcsFields.UserName);
    }

    /// <summary>auditd keys: a letter first, then letters, digits, '_' or '-' (old-auid, new-ses).</summary>
    private static bool IsAuditdKey(string key)
    {
        if (key.Length == 0 || !char.IsAsciiLetter(key[0]))
        {
            return false;
        }
        foreach (char c in key)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c == '_' || c == '-'))
            {
                return false;
            }
        }
        return true;
    }

    private static string? RunToKnownKey(string body, string key, bool unquote)
    {
        int start = body.IndexOf(" " + key, StringComparison.Ordinal);
        if (start < 0)
        {
            return null;
        }
        start += key.Length + 1;
        int end = body.IndexOf(" redactors=", start, StringComparison.Ordinal);
        var value = body.AsSpan(start, (end < 0 ? body.Length : end) - start);
        if (unquote && value.Length >= 2 && value[0] == '"' && value[^1] == '"')
        {
            value = value[1..^1];
        }
        return value.ToString();
    }

    private static void Copy(LogEvent e, string from, string to)
    {
        if (e.Get(from) is { Length: > 0 } value)
        {
            e.Set(to, value);
        }
    }
}
