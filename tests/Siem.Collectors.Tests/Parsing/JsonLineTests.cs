using NodaTime;
using Siem.Core.Events;
using static Siem.Collectors.Tests.Parsing.ParserTestKit;

namespace Siem.Collectors.Tests.Parsing;

public class JsonLineTests
{
    [Fact]
    public void Nested_objects_flatten_to_dotted_names_and_scalars_become_invariant_strings()
    {
        var e = Single("""{"@timestamp":"2026-11-22T04:00:00.250Z","user":{"name":"alice","roles":["admin","dev"]},"bytes":1.5e3,"ok":true,"none":null,"n":-12}""");

        Assert.Equal("alice", e.Get("user.name"));
        Assert.Equal(new[] { "admin", "dev" }, Values(e, "user.roles"));
        Assert.Equal("1.5e3", e.Get("bytes"));
        Assert.Equal("true", e.Get("ok"));
        Assert.Equal("-12", e.Get("n"));
        Assert.False(e.Fields.ContainsKey("none"));
        Assert.Equal(Instant.FromUtc(2026, 11, 22, 4, 0, 0).PlusNanoseconds(250_000_000), e.Timestamp);
        Assert.Equal("collector-host", e.Get(EcsFields.HostName));
        Assert.Equal("event", e.Get(EcsFields.EventKind));
    }

    [Theory]
    [InlineData("""{"timestamp":"2026-01-02T03:04:05+02:00"}""", 2026, 1, 2, 1)]
    [InlineData("""{"time":1767322800}""", 2026, 1, 2, 3)]
    [InlineData("""{"time":1767322800000}""", 2026, 1, 2, 3)]
    public void Event_time_is_taken_from_timestamp_or_time(string line, int y, int m, int d, int h)
    {
        var e = Single(line);

        Assert.Equal(y, e.Timestamp.InUtc().Year);
        Assert.Equal(m, e.Timestamp.InUtc().Month);
        Assert.Equal(d, e.Timestamp.InUtc().Day);
        Assert.Equal(h, e.Timestamp.InUtc().Hour);
    }

    [Fact]
    public void Array_of_objects_is_kept_as_json_text()
    {
        var e = Single("""{"items":[{"a":1},{"a":2}]}""");

        Assert.Equal("""[{"a":1},{"a":2}]""", e.Get("items"));
    }

    [Fact]
    public void Unparseable_timestamp_falls_back_to_the_clock()
    {
        var e = Single("""{"@timestamp":"yesterday-ish","msg":"x"}""");

        Assert.Equal(Now, e.Timestamp);
        Assert.Equal("yesterday-ish", e.Get("@timestamp"));
    }

    [Theory]
    [InlineData("""{"broken": """)]
    [InlineData("""{"a":1} trailing""")]
    [InlineData("{not json at all")]
    public void Invalid_json_is_kept_with_the_parse_failure_tag(string line)
    {
        var e = Single(line);

        Assert.Equal(new[] { EcsFields.ParseFailureTag }, Tags(e));
        Assert.Equal(line, e.Get(EcsFields.Message));
        Assert.NotNull(e.Get("error.message"));
    }

    [Fact]
    public void Deeply_nested_json_is_bounded_and_kept_as_a_failure()
    {
        string line = string.Concat(Enumerable.Repeat("{\"a\":", 10_000)) + "1" + new string('}', 10_000);

        var e = Single(line);

        Assert.Contains(EcsFields.ParseFailureTag, Tags(e));
        Assert.Equal(line, e.Original);
    }

    [Fact]
    public void Journald_entry_maps_syslog_identity_and_runs_the_program_parser_on_message()
    {
        var e = Single("""{"__CURSOR":"s=abc;i=1a2b","__REALTIME_TIMESTAMP":"1763780400123456","_HOSTNAME":"web01","SYSLOG_IDENTIFIER":"sshd","_PID":"4242","PRIORITY":"6","SYSLOG_FACILITY":"4","_COMM":"sshd","MESSAGE":"Failed password for invalid user admin from 203.0.113.5 port 40001 ssh2"}""");

        Assert.Equal(Instant.FromUnixTimeTicks(1763780400123456 * 10), e.Timestamp);
        Assert.Equal("web01", e.Get(EcsFields.HostName));
        Assert.Equal("sshd", e.Get(EcsFields.ProcessName));
        Assert.Equal("4242", e.Get(EcsFields.ProcessPid));
        Assert.Equal("6", e.Get(EcsFields.LogSyslogSeverity));
        Assert.Equal("ssh_login", e.Get(EcsFields.EventAction));
        Assert.Equal("failure", e.Get(EcsFields.EventOutcome));
        Assert.Equal("admin", e.Get(EcsFields.UserName));
        Assert.Equal("203.0.113.5", e.Get(EcsFields.SourceIp));
        Assert.Equal("Failed password for invalid user admin from 203.0.113.5 port 40001 ssh2", e.Get(EcsFields.Message));
        Assert.Equal("s=abc;i=1a2b", e.Get("__CURSOR"));
    }

    [Fact]
    public void Journald_message_given_as_bytes_is_decoded()
    {
        var e = Single("""{"__REALTIME_TIMESTAMP":"1763780400000000","SYSLOG_IDENTIFIER":"app","MESSAGE":[104,105,255]}""");

        Assert.Equal("hi\uFFFD", e.Get(EcsFields.Message));
    }
}
