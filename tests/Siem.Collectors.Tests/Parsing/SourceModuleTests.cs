using Siem.Collectors.Parsing;
using Siem.Collectors.Sources;
using Siem.Core.Events;
using Siem.Rules;
using Siem.Rules.Correlation;
using static Siem.Collectors.Tests.Parsing.ParserTestKit;

namespace Siem.Collectors.Tests.Parsing;

/// <summary>
/// A source's <c>module:</c> label becomes the records' <c>event.module</c> (a record that names its own keeps it), and
/// the rule engine judges the records by it: SigmaHQ's Cisco rules only marked records, its database rule only database logs.
/// </summary>
public sealed class SourceModuleTests
{
    // tac_plus accounting of a command typed on a Cisco device: no Cisco message code in the line.
    private const string TacacsLine = "Nov 22 10:00:00 tacacs1 tac_plus[812]: 10.0.0.1 admin tty1 10.0.0.5 stop task_id=12 service=shell cmd=clear logging <cr>";
    private const string PostgresLine = "2026-11-22 10:00:01.123 UTC [4711] app@shop LOG:  statement: DROP TABLE customers;";

    private static LogEvent Parse(string text, string? module)
    {
        var output = new List<LogEvent>();
        var pipeline = Pipeline();
        pipeline.Parse(Line(text) with { Module = module }, output);
        pipeline.Flush(output);
        return Assert.Single(output);
    }

    [Fact]
    public void Records_of_a_labelled_source_carry_its_module()
    {
        Assert.Equal("tacacs", Parse(TacacsLine, "tacacs").Get(EcsFields.EventModule));
        Assert.Equal("postgresql", Parse(PostgresLine, "postgresql").Get(EcsFields.EventModule));
        Assert.Null(Parse(PostgresLine, null).Get(EcsFields.EventModule));
    }

    [Theory]
    [InlineData("Nov 22 10:00:00 sw2 %SYS-5-CONFIG_I: Configured from console by admin", "cisco")]
    [InlineData("type=USER_LOGIN msg=audit(1763784000.123:42): pid=7 uid=0 auid=1000 ses=3 msg='op=login acct=\"root\" exe=\"/usr/sbin/sshd\" res=failed'", "auditd")]
    [InlineData("{\"event\":{\"module\":\"nginx\"},\"message\":\"GET /\"}", "nginx")]
    public void A_record_that_names_its_own_module_keeps_it(string text, string expected)
    {
        Assert.Equal(expected, Parse(text, "syslog").Get(EcsFields.EventModule));
    }

    [Fact]
    public void Sigma_cisco_rules_judge_a_tacacs_feed_only_when_its_source_is_labelled_cisco()
    {
        var session = Session(Path.Combine("network", "cisco", "aaa", "cisco_cli_clear_logs.yml"));

        Assert.Equal(["Cisco Clear Logs"], Matches(session, Parse(TacacsLine, "cisco")));
        Assert.Empty(Matches(session, Parse(TacacsLine, null)));
    }

    [Fact]
    public void The_sigma_database_rule_judges_a_log_only_when_its_source_is_labelled_with_a_database_module()
    {
        var session = Session(Path.Combine("category", "database", "db_anomalous_query.yml"));

        Assert.Equal(["Suspicious SQL Query"], Matches(session, Parse(PostgresLine, "postgresql")));
        Assert.Empty(Matches(session, Parse(PostgresLine, null)));
        Assert.Empty(Matches(session, Parse(PostgresLine, "tacacs")));
    }

    private static DetectionSession Session(string rule)
    {
        var set = RuleLoader.Load([Path.Combine(TestData, "sigma", "rules", rule)]);
        Assert.Empty(set.Errors);
        return new DetectionSession(set);
    }

    private static List<string> Matches(DetectionSession session, LogEvent e)
    {
        var matches = new List<SigmaRule>();
        session.MatchDetections(e, matches);
        return [.. matches.Select(m => m.Title)];
    }
}
