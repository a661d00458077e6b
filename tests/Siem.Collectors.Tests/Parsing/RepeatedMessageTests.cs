using Siem.Collectors.Parsing;
using Siem.Core.Events;
using static Siem.Collectors.Tests.Parsing.ParserTestKit;

namespace Siem.Collectors.Tests.Parsing;

public class RepeatedMessageTests
{
    [Fact]
    public void Message_repeated_3_times_expands_into_3_parsed_events_with_distinct_stable_ids()
    {
        const string line = "Nov 22 03:12:44 bastion sshd[4250]: message repeated 3 times: [ Failed password for root from 203.0.113.5 port 40010 ssh2]";

        var first = ParseAll(line);
        var again = ParseAll(line);

        Assert.Equal(3, first.Count);
        Assert.Equal(3, first.Select(e => e.RecordId).Distinct().Count());
        Assert.Equal(first.Select(e => e.RecordId), again.Select(e => e.RecordId));
        Assert.Equal(RecordIds.For("agent-1", "file:8:1", 0, 0), first[0].RecordId);
        Assert.Equal(RecordIds.For("agent-1", "file:8:1", 0, 2), first[2].RecordId);
        foreach (var e in first)
        {
            Assert.Equal("ssh_login", e.Get(EcsFields.EventAction));
            Assert.Equal("failure", e.Get(EcsFields.EventOutcome));
            Assert.Equal("root", e.Get(EcsFields.UserName));
            Assert.Equal("203.0.113.5", e.Get(EcsFields.SourceIp));
            Assert.Equal("Failed password for root from 203.0.113.5 port 40010 ssh2", e.Get(EcsFields.Message));
            Assert.Equal(line, e.Original);
        }
    }

    [Fact]
    public void Huge_repeat_count_gives_one_event_with_the_count_instead_of_millions()
    {
        var events = ParseAll("Nov 22 03:12:44 bastion sshd[4250]: message repeated 99999999 times: [ Failed password for root from 203.0.113.5 port 40010 ssh2]");

        var e = Assert.Single(events);
        Assert.Equal("99999999", e.Get("log.syslog.repeat_count"));
        Assert.Contains("_repeat_not_expanded", Tags(e));
        Assert.Equal("root", e.Get(EcsFields.UserName));
    }

    [Fact]
    public void Malformed_repeat_is_an_ordinary_message()
    {
        var e = Single("Nov 22 03:12:44 bastion sshd[4250]: message repeated many times: [ x ]");

        Assert.Equal("message repeated many times: [ x ]", e.Get(EcsFields.Message));
    }
}
