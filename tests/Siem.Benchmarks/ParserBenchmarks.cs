using BenchmarkDotNet.Attributes;
using NodaTime;
using Siem.Collectors.Parsing;
using Siem.Collectors.Sources;
using Siem.Core.Events;

namespace Siem.Benchmarks;

/// <summary>
/// The agent's ParserPipeline on 1000 lines per operation: auth.log sshd lines (the hot path; target well over
/// 100k lines/s on one core), a sudo/pam/cron mix, auditd execve groups and flat Windows JSON. Lines/s = 1000 / mean.
/// </summary>
[MemoryDiagnoser]
public class ParserBenchmarks
{
    private const int Lines = 1000;
    private RawLine[] _sshd = [];
    private RawLine[] _mixed = [];
    private RawLine[] _auditd = [];
    private RawLine[] _windows = [];
    private readonly List<LogEvent> _output = new(Lines * 2);
    private ParserPipeline _pipeline = null!;

    [GlobalSetup]
    public void Setup()
    {
        _pipeline = new ParserPipeline(new ParserOptions { AgentId = "agent-1", HostName = "bench", TimeZone = DateTimeZone.Utc });
        _sshd = Make(
            "Nov 22 03:10:01 bastion sshd[4242]: Failed password for invalid user admin from 203.0.113.5 port 40001 ssh2",
            "Nov 22 03:10:02 bastion sshd[4243]: Accepted publickey for deploy from 192.0.2.7 port 60022 ssh2: ED25519 SHA256:Jd7mJ5kzq3o0m1+G7y0bM2d0Yq1vTgk3pD8a6N1v0xQ",
            "Nov 22 03:10:03 bastion sshd[4244]: Connection closed by authenticating user root 203.0.113.5 port 40004 [preauth]",
            "Nov 22 03:10:04 bastion sshd[4245]: Invalid user admin from 203.0.113.5 port 40001");
        _mixed = Make(
            "Nov 22 03:20:11 web01 sudo:    alice : TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/usr/bin/apt-get update",
            "Nov 22 03:20:11 web01 sudo: pam_unix(sudo:session): session opened for user root(uid=0) by alice(uid=1000)",
            "Nov 22 03:17:01 web01 CRON[3313]: (root) CMD (   cd / && run-parts --report /etc/cron.hourly)",
            "<86>Nov 22 03:25:00 web01 su[5120]: (to root) alice on pts/0");
        _auditd = Make(
            "type=SYSCALL msg=audit(1604996384.965:{0}): arch=c000003e syscall=59 success=yes exit=0 a0=558e25052c70 a1=558e251641a0 a2=558e25160800 a3=1b6 items=2 ppid=29002 pid=2168 auid=1000 uid=1000 gid=1000 euid=1000 suid=1000 fsuid=1000 egid=1000 sgid=1000 fsgid=1000 tty=pts0 ses=104 comm=\"dd\" exe=\"/bin/dd\" key=(null)",
            "type=EXECVE msg=audit(1604996384.965:{0}): argc=4 a0=\"dd\" a1=\"if=/dev/zero\" a2=\"bs=1\" a3=\"count=1\"",
            "type=CWD msg=audit(1604996384.965:{0}): cwd=\"/home/wardog\"",
            "type=PROCTITLE msg=audit(1604996384.965:{0}): proctitle=64640069663D2F6465762F7A65726F0062733D3100636F756E743D31");
        _windows = Make(
            """{"EventID":1,"Image":"C:\\Windows\\System32\\mshta.exe","CommandLine":"mshta vbscript:Execute(\"x\")","ParentImage":"C:\\Windows\\System32\\cmd.exe","User":"WORKSTATION5\\wardog","Hostname":"WORKSTATION5","Channel":"Microsoft-Windows-Sysmon/Operational","SourceName":"Microsoft-Windows-Sysmon","@timestamp":"2020-10-22T02:57:59.857Z","ProcessId":"10980"}""");
    }

    [Benchmark(OperationsPerInvoke = Lines)]
    public int Sshd() => Run(_sshd);

    [Benchmark(OperationsPerInvoke = Lines)]
    public int SudoPamCronSu() => Run(_mixed);

    [Benchmark(OperationsPerInvoke = Lines)]
    public int AuditdExecveRecords() => Run(_auditd);

    [Benchmark(OperationsPerInvoke = Lines)]
    public int WindowsJson() => Run(_windows);

    private int Run(RawLine[] lines)
    {
        _output.Clear();
        foreach (var line in lines)
        {
            _pipeline.Parse(line, _output);
        }
        _pipeline.Flush(_output);
        return _output.Count;
    }

    private static RawLine[] Make(params string[] templates)
    {
        var lines = new RawLine[Lines];
        long offset = 0;
        for (int i = 0; i < Lines; i++)
        {
            // Auditd templates take the serial: four records per event.
            string text = templates[i % templates.Length].Replace("{0}", (1000 + (i / templates.Length)).ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal);
            lines[i] = new RawLine("file", "file:8:1", offset, offset + text.Length + 1, text, null, "/var/log/auth.log");
            offset += text.Length + 1;
        }
        return lines;
    }
}
