using System.Globalization;
using NodaTime;
using Siem.Core.Events;

namespace Siem.Collectors.Parsing;

/// <summary>Maps a group of auditd records (one kernel/user-space event) onto ECS, keeping every field under <c>auditd.</c>.</summary>
internal static partial class AuditdEvents
{
    // Values auditd hex-encodes when they hold spaces or special characters (unquoted = encoded).
    private static readonly HashSet<string> EncodedKeys = new(StringComparer.Ordinal) { "exe", "comm", "cwd", "name", "cmd", "proctitle", "path", "old", "new" };

    public static void Map(List<AuditdRecord> records, LogEvent e, string defaultHost)
    {
        var first = records[0];
        e.Set(EcsFields.EventKind, "event");
        e.Set(EcsFields.EventModule, "auditd");
        e.Set(EcsFields.HostName, first.Node ?? defaultHost);
        e.Set("auditd.serial", first.Serial.ToString(CultureInfo.InvariantCulture));
        e.Fields["auditd.record_types"] = records.Select(r => r.Type).ToArray();
        e.Set(EcsFields.EventAction, first.Type.ToLowerInvariant());
        SetTime(first, e);

        List<string>? execArgs = null;
        List<string>? titleArgs = null;
        foreach (var record in records)
        {
            switch (record.Type)
            {
                case "SYSCALL":
                    foreach (var (k, v, q) in record.Fields)
                    {
                        e.Set("auditd." + k, EncodedKeys.Contains(k) ? AuditdRecord.DecodeIfHex(v, q) : v);
                    }
                    break;
                case "EXECVE":
                    execArgs = ExecveArgs(record, e);
                    break;
                case "PROCTITLE":
                    foreach (var (k, v, q) in record.Fields)
                    {
                        if (k == "proctitle")
                        {
                            titleArgs = [.. AuditdRecord.DecodeIfHex(v, q).Split('\0', StringSplitOptions.RemoveEmptyEntries)];
                            e.Set("auditd.proctitle", string.Join(' ', titleArgs));
                        }
                    }
                    break;
                case "EOE":
                    break;
                default:
                    AddRecordFields(record, e);
                    break;
            }
        }
        MapProcess(e, execArgs ?? titleArgs, hasExecve: execArgs is not null);
        MapUserSpace(records, e);
    }

    private static void SetTime(AuditdRecord record, LogEvent e)
    {
        if (decimal.TryParse(record.Time, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out decimal seconds) && seconds < 253402300799m)
        {
            e.Timestamp = Instant.FromUnixTimeTicks((long)(seconds * NodaConstants.TicksPerSecond));
        }
    }

    /// <summary>EXECVE: <c>argc=3 a0="grep" a1="-v" a2=5E3F</c>; long arguments come in pieces: <c>a1_len=9000 a1[0]=... a1[1]=...</c>.</summary>
    private static List<string> ExecveArgs(AuditdRecord record, LogEvent e)
    {
        var args = new SortedDictionary<int, System.Text.StringBuilder>();
        foreach (var (k, v, q) in record.Fields)
        {
            if (k == "argc")
            {
                e.Set("auditd.execve.argc", v);
                continue;
            }
            if (k.Length < 2 || k[0] != 'a' || !char.IsAsciiDigit(k[1]))
            {
                continue;
            }
            var name = k.AsSpan(1);
            int bracket = name.IndexOfAny('[', '_');
            if (bracket >= 0 && name[bracket] == '_')
            {
                continue; // aN_len: the pieces carry the text
            }
            if (!int.TryParse(bracket < 0 ? name : name[..bracket], NumberStyles.None, CultureInfo.InvariantCulture, out int index) || index > 100_000)
            {
                continue;
            }
            if (!args.TryGetValue(index, out var sb))
            {
                args[index] = sb = new System.Text.StringBuilder();
            }
            // Pieces of one argument are hex-encoded separately only if the whole was; decode per piece is byte-safe for ASCII.
            sb.Append(AuditdRecord.DecodeIfHex(v, q));
        }
        return args.Values.Select(sb => sb.ToString()).ToList();
    }

    private static void AddRecordFields(AuditdRecord record, LogEvent e)
    {
        string prefix = "auditd." + record.Type.ToLowerInvariant() + ".";
        foreach (var (k, v, q) in record.Fields)
        {
            if (k == "msg" && q && v.Contains('=', StringComparison.Ordinal))
            {
                // User-space records: msg='op=PAM:authentication acct="alice" exe="/usr/sbin/sshd" ... res=failed'
                var inner = new List<(string Key, string Value, bool Quoted)>();
                AuditdRecord.ParseFields(v, inner);
                foreach (var (ik, iv, iq) in inner)
                {
                    e.Add(prefix + ik, EncodedKeys.Contains(ik) || ik == "acct" ? AuditdRecord.DecodeIfHex(iv, iq) : iv);
                }
                continue;
            }
            e.Add(prefix + k, EncodedKeys.Contains(k) ? AuditdRecord.DecodeIfHex(v, q) : v);
        }
    }
}
