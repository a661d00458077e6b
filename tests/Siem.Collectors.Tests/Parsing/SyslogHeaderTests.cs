using NodaTime;
using Siem.Core.Events;
using static Siem.Collectors.Tests.Parsing.ParserTestKit;

namespace Siem.Collectors.Tests.Parsing;

public class SyslogHeaderTests
{
    [Fact]
    public void Rfc3164_line_with_pri_gives_facility_severity_host_program_pid_and_time()
    {
        var e = Single("<38>Mar  5 10:15:30 web01 sshd[1234]: Server listening on 0.0.0.0 port 22.");

        Assert.Equal("4", e.Get(EcsFields.LogSyslogFacility));
        Assert.Equal("6", e.Get(EcsFields.LogSyslogSeverity));
        Assert.Equal("web01", e.Get(EcsFields.HostName));
        Assert.Equal("sshd", e.Get(EcsFields.ProcessName));
        Assert.Equal("1234", e.Get(EcsFields.ProcessPid));
        Assert.Equal("Server listening on 0.0.0.0 port 22.", e.Get(EcsFields.Message));
        Assert.Equal(Instant.FromUtc(2026, 3, 5, 10, 15, 30), e.Timestamp);
        Assert.Equal("event", e.Get(EcsFields.EventKind));
        Assert.Equal("/var/log/auth.log", e.Get(EcsFields.LogFilePath));
        Assert.Empty(Tags(e));
    }

    [Fact]
    public void A_file_line_carries_its_byte_offset_in_the_file()
    {
        var events = ParseAll(
            "Mar  5 10:15:30 web01 sshd[1234]: Server listening on 0.0.0.0 port 22.",
            "Mar  5 10:15:31 web01 sshd[1234]: Server listening on :: port 22.");
        Assert.Equal(["0", "71"], events.Select(e => e.Get(EcsFields.LogOffset)));
    }

    [Fact]
    public void Auth_log_line_without_pri_is_parsed()
    {
        var e = Single("Nov 21 23:59:01 db02 CRON[98765]: pam_unix(cron:session): session closed for user root");

        Assert.Null(e.Get(EcsFields.LogSyslogFacility));
        Assert.Equal("db02", e.Get(EcsFields.HostName));
        Assert.Equal("CRON", e.Get(EcsFields.ProcessName));
        Assert.Equal("98765", e.Get(EcsFields.ProcessPid));
        Assert.Equal(Instant.FromUtc(2026, 11, 21, 23, 59, 1), e.Timestamp);
    }

    [Fact]
    public void Rsyslog_high_precision_iso_timestamp_keeps_fraction_and_offset()
    {
        var e = Single("2026-11-22T03:59:01.123456+01:00 web01 sudo[777]: pam_unix(sudo:session): session closed for user root");

        Assert.Equal(Instant.FromUtc(2026, 11, 22, 2, 59, 1).PlusNanoseconds(123_456_000), e.Timestamp);
        Assert.Equal("web01", e.Get(EcsFields.HostName));
        Assert.Equal("sudo", e.Get(EcsFields.ProcessName));
    }

    [Fact]
    public void Local_socket_message_without_host_uses_the_configured_host()
    {
        var e = Single("<86>Nov 22 04:00:00 su[42]: (to root) alice on pts/0");

        Assert.Equal("collector-host", e.Get(EcsFields.HostName));
        Assert.Equal("su", e.Get(EcsFields.ProcessName));
        Assert.Equal("alice", e.Get(EcsFields.UserName));
    }

    [Fact]
    public void Rfc5424_example_1_with_nil_values_and_bom()
    {
        // RFC 5424 §6.5 example 1 (the BOM is U+FEFF after decoding).
        var e = Single("<34>1 2003-10-11T22:14:15.003Z mymachine.example.com su - ID47 - \uFEFF'su root' failed for lonvick on /dev/pts/8");

        Assert.Equal("4", e.Get(EcsFields.LogSyslogFacility));
        Assert.Equal("2", e.Get(EcsFields.LogSyslogSeverity));
        Assert.Equal("1", e.Get(EcsFields.LogSyslogVersion));
        Assert.Equal("mymachine.example.com", e.Get(EcsFields.HostName));
        Assert.Equal("su", e.Get(EcsFields.LogSyslogAppName));
        Assert.Null(e.Get(EcsFields.LogSyslogProcId));
        Assert.Equal("ID47", e.Get(EcsFields.LogSyslogMsgId));
        Assert.Equal("'su root' failed for lonvick on /dev/pts/8", e.Get(EcsFields.Message));
        Assert.Equal(Instant.FromUtc(2003, 10, 11, 22, 14, 15).PlusNanoseconds(3_000_000), e.Timestamp);
    }

    [Fact]
    public void Rfc5424_example_2_with_offset_and_procid()
    {
        var e = Single("<165>1 2003-08-24T05:14:15.000003-07:00 192.0.2.1 myproc 8710 - - %% It's time to make the do-nuts.");

        Assert.Equal("20", e.Get(EcsFields.LogSyslogFacility));
        Assert.Equal("5", e.Get(EcsFields.LogSyslogSeverity));
        Assert.Equal("192.0.2.1", e.Get(EcsFields.HostName));
        Assert.Equal("myproc", e.Get(EcsFields.ProcessName));
        Assert.Equal("8710", e.Get(EcsFields.ProcessPid));
        Assert.Null(e.Get(EcsFields.LogSyslogMsgId));
        Assert.Equal("%% It's time to make the do-nuts.", e.Get(EcsFields.Message));
        Assert.Equal(Instant.FromUtc(2003, 8, 24, 12, 14, 15).PlusNanoseconds(3_000), e.Timestamp);
    }

    [Fact]
    public void Rfc5424_structured_data_becomes_fields()
    {
        var e = Single("<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut=\"3\" eventSource=\"Application\" eventID=\"1011\"][examplePriority@32473 class=\"high\" note=\"a \\\"quoted\\\" \\] bracket\"] \uFEFFAn application event log entry...");

        Assert.Equal("3", e.Get("log.syslog.structured_data.exampleSDID@32473.iut"));
        Assert.Equal("Application", e.Get("log.syslog.structured_data.exampleSDID@32473.eventSource"));
        Assert.Equal("1011", e.Get("log.syslog.structured_data.exampleSDID@32473.eventID"));
        Assert.Equal("high", e.Get("log.syslog.structured_data.examplePriority@32473.class"));
        Assert.Equal("a \"quoted\" ] bracket", e.Get("log.syslog.structured_data.examplePriority@32473.note"));
        Assert.Equal("An application event log entry...", e.Get(EcsFields.Message));
    }

    [Fact]
    public void Rfc5424_structured_data_without_message()
    {
        var e = Single("<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut=\"3\"]");

        Assert.Equal("3", e.Get("log.syslog.structured_data.exampleSDID@32473.iut"));
        Assert.Equal("", e.Get(EcsFields.Message));
        Assert.Empty(Tags(e));
    }

    [Theory]
    [InlineData("<999>Mar  5 10:15:30 web01 sshd[1234]: Connection closed by 203.0.113.5 port 40000 [preauth]")]
    [InlineData("<abc>Mar  5 10:15:30 web01 sshd[1234]: Connection closed by 203.0.113.5 port 40000 [preauth]")]
    public void Bad_pri_keeps_the_line_tagged_and_still_parses_the_rest(string line)
    {
        var e = Single(line);

        Assert.Equal(new[] { EcsFields.InvalidPriTag }, Tags(e));
        Assert.Null(e.Get(EcsFields.LogSyslogFacility));
        Assert.Equal("web01", e.Get(EcsFields.HostName));
        Assert.Equal("203.0.113.5", e.Get(EcsFields.SourceIp));
        Assert.Equal(line, e.Original);
    }

    [Theory]
    [InlineData("<12 unterminated pri")]
    [InlineData("this is not syslog at all")]
    [InlineData("Foo 12 10:00:00 host prog: month is not a month")]
    [InlineData("Feb 31 10:00:00 host prog: no such day")]
    [InlineData("2026-11-22 06:21:14 configure system-config-printer:all 1.5.18-1 <none>")] // dpkg.log, not syslog
    [InlineData("2026-11-22 06:21:14,123 INFO worker: started")] // Python logging, not syslog
    public void Unparsable_line_is_kept_whole_with_the_parse_failure_tag(string line)
    {
        var e = Single(line);

        Assert.Equal(new[] { EcsFields.ParseFailureTag }, Tags(e));
        Assert.Equal(line, e.Get(EcsFields.Message));
        Assert.Equal(line, e.Original);
        Assert.Equal(Now, e.Timestamp);
        Assert.Equal("collector-host", e.Get(EcsFields.HostName));
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    public void Blank_line_gives_no_event(string line) => Assert.Empty(ParseAll(line));

    [Fact]
    public void Dec_31_line_read_on_jan_1_belongs_to_the_previous_year()
    {
        var pipeline = Pipeline(now: Instant.FromUtc(2027, 1, 1, 0, 5, 0));

        var events = ParseAll(pipeline, "Dec 31 23:59:58 web01 sshd[1]: x", "Jan  1 00:04:00 web01 sshd[1]: y");

        Assert.Equal(Instant.FromUtc(2026, 12, 31, 23, 59, 58), events[0].Timestamp);
        Assert.Equal(Instant.FromUtc(2027, 1, 1, 0, 4, 0), events[1].Timestamp);
    }

    [Fact]
    public void Timestamp_more_than_a_month_ahead_is_last_year_and_a_few_days_ahead_is_this_year()
    {
        var pipeline = Pipeline(now: Instant.FromUtc(2026, 3, 1, 12, 0, 0));

        var events = ParseAll(pipeline, "Nov 20 08:00:00 web01 app: old", "Mar  3 08:00:00 web01 app: clock skew");

        Assert.Equal(Instant.FromUtc(2025, 11, 20, 8, 0, 0), events[0].Timestamp);
        Assert.Equal(Instant.FromUtc(2026, 3, 3, 8, 0, 0), events[1].Timestamp);
    }

    [Fact]
    public void Feb_29_in_a_common_year_goes_to_the_latest_leap_year()
    {
        var e = Single("Feb 29 08:00:00 web01 app: leap", Pipeline(now: Instant.FromUtc(2026, 3, 1, 0, 0, 0)));

        Assert.Equal(Instant.FromUtc(2024, 2, 29, 8, 0, 0), e.Timestamp);
    }

    [Fact]
    public void Year_less_time_is_read_in_the_configured_zone()
    {
        var berlin = DateTimeZoneProviders.Tzdb["Europe/Berlin"];

        var summer = Single("Jul  1 12:00:00 web01 app: summer", Pipeline(zone: berlin));
        var winter = Single("Jan 15 12:00:00 web01 app: winter", Pipeline(zone: berlin));
        var iso = Single("2026-07-01T12:00:00 web01 app: iso without offset", Pipeline(zone: berlin));

        Assert.Equal(Instant.FromUtc(2026, 7, 1, 10, 0, 0), summer.Timestamp);
        Assert.Equal(Instant.FromUtc(2026, 1, 15, 11, 0, 0), winter.Timestamp);
        Assert.Equal(Instant.FromUtc(2026, 7, 1, 10, 0, 0), iso.Timestamp);
    }

    [Fact]
    public void Truncated_and_invalid_utf8_lines_are_tagged()
    {
        var pipeline = Pipeline();
        var output = new List<LogEvent>();
        pipeline.Parse(Line("Nov 22 04:00:00 web01 app: caf\uFFFD") with { Truncated = true, InvalidUtf8 = true }, output);

        var e = Assert.Single(output);
        Assert.Equal(new[] { EcsFields.TruncatedTag, EcsFields.InvalidUtf8Tag }, Tags(e));
        Assert.Equal("caf\uFFFD", e.Get(EcsFields.Message));
    }
}
