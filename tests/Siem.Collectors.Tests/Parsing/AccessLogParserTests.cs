using NodaTime;
using Siem.Core.Events;
using static Siem.Collectors.Tests.Parsing.ParserTestKit;

namespace Siem.Collectors.Tests.Parsing;

/// <summary>Apache/nginx access logs (NCSA combined and common formats), plain and wrapped in syslog.</summary>
public sealed class AccessLogParserTests
{
    [Fact]
    public void A_combined_format_line_gives_client_request_status_and_user_agent()
    {
        var e = Single("203.0.113.66 - alice [22/Nov/2026:10:01:02 +0100] \"GET /index.php?id=1%27%20UNION%20SELECT%201,2,3-- HTTP/1.1\" 200 10 \"https://example.org/\" \"sqlmap/1.5#stable (https://sqlmap.org)\"");

        Assert.Equal(Instant.FromUtc(2026, 11, 22, 9, 1, 2), e.Timestamp);
        Assert.Equal("web", e.Get(EcsFields.EventCategory));
        Assert.Equal("203.0.113.66", e.Get(EcsFields.SourceIp));
        Assert.Equal("alice", e.Get(EcsFields.UserName));
        Assert.Equal("GET", e.Get("http.request.method"));
        Assert.Equal("/index.php?id=1%27%20UNION%20SELECT%201,2,3--", e.Get("url.original"));
        Assert.Equal("/index.php", e.Get("url.path"));
        Assert.Equal("id=1%27%20UNION%20SELECT%201,2,3--", e.Get("url.query"));
        Assert.Equal("1.1", e.Get("http.version"));
        Assert.Equal("200", e.Get("http.response.status_code"));
        Assert.Equal("10", e.Get("http.response.body.bytes"));
        Assert.Equal("https://example.org/", e.Get("http.request.referrer"));
        Assert.Equal("sqlmap/1.5#stable (https://sqlmap.org)", e.Get("user_agent.original"));
        Assert.Equal("success", e.Get(EcsFields.EventOutcome));
        Assert.DoesNotContain(EcsFields.ParseFailureTag, Tags(e));
    }

    [Fact]
    public void A_common_format_line_with_a_host_name_client_and_no_body_is_understood_too()
    {
        var e = Single("crawler.example.net - - [01/Jan/2026:00:00:00 -0500] \"HEAD / HTTP/1.0\" 404 -");

        Assert.Equal(Instant.FromUtc(2026, 1, 1, 5, 0, 0), e.Timestamp);
        Assert.Equal("crawler.example.net", e.Get(EcsFields.SourceDomain));
        Assert.Null(e.Get(EcsFields.SourceIp));
        Assert.Null(e.Get(EcsFields.UserName));
        Assert.Equal("HEAD", e.Get("http.request.method"));
        Assert.Equal("404", e.Get("http.response.status_code"));
        Assert.Null(e.Get("http.response.body.bytes"));
        Assert.Equal("failure", e.Get(EcsFields.EventOutcome));
    }

    [Fact]
    public void A_request_that_is_not_method_target_version_is_kept_whole_and_escaped_quotes_stay_inside_their_field()
    {
        var e = Single("198.51.100.9 - - [22/Nov/2026:10:00:00 +0000] \"\\x16\\x03\\x01\" 400 157 \"-\" \"Mozilla/5.0 \\\"quoted\\\"\"");

        Assert.Equal("\\x16\\x03\\x01", e.Get("url.original"));
        Assert.Null(e.Get("http.request.method"));
        Assert.Equal("Mozilla/5.0 \\\"quoted\\\"", e.Get("user_agent.original"));
    }

    [Fact]
    public void Nginx_logging_to_syslog_gets_the_same_fields()
    {
        var e = Single("Nov 22 10:01:00 web1 nginx: 203.0.113.66 - - [22/Nov/2026:10:01:00 +0000] \"GET /cgi-bin/../../../../etc/passwd HTTP/1.1\" 400 0 \"-\" \"curl/7.68\"");

        Assert.Equal("web1", e.Get(EcsFields.HostName));
        Assert.Equal("nginx", e.Get(EcsFields.ProcessName));
        Assert.Equal("/cgi-bin/../../../../etc/passwd", e.Get("url.original"));
        Assert.Equal("400", e.Get("http.response.status_code"));
    }

    [Theory]
    [InlineData("203.0.113.66 - - [not a time] \"GET / HTTP/1.1\" 200 1")]
    [InlineData("203.0.113.66 - - [22/Nov/2026:10:01:00 +0000] GET / 200 1")]
    [InlineData("203.0.113.66 - - [22/Nov/2026:10:01:00 +0000] \"GET / HTTP/1.1\" ok 1")]
    public void Lines_that_only_look_like_access_logs_stay_parse_failures_with_the_whole_line(string line)
    {
        var e = Single(line);

        Assert.Contains(EcsFields.ParseFailureTag, Tags(e));
        Assert.Equal(line, e.Get(EcsFields.Message));
        Assert.Null(e.Get("http.response.status_code"));
    }
}
