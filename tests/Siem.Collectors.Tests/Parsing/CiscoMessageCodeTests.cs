using Siem.Core.Events;
using static Siem.Collectors.Tests.Parsing.ParserTestKit;

namespace Siem.Collectors.Tests.Parsing;

/// <summary>Lines with a Cisco message code are marked event.module cisco (Sigma's Cisco rules judge only them).</summary>
public class CiscoMessageCodeTests
{
    [Theory]
    // IOS with a sequence number and a '*' time: no header we parse, kept whole, still marked.
    [InlineData("<189>52: *Mar  1 00:05:56.367: %SYS-5-CONFIG_I: Configured from console by console")]
    // IOS archive logging of a typed command, behind a BSD header.
    [InlineData("<189>Mar  1 00:06:10 router1 61: %PARSER-5-CFGLOG_LOGGEDCMD: User:admin  logged command:dir flash:")]
    [InlineData("Nov 22 10:00:00 sw2 %LINK-3-UPDOWN: Interface GigabitEthernet0/1, changed state to up")]
    public void A_line_with_a_cisco_message_code_is_marked_cisco(string line)
    {
        var e = Single(line);

        Assert.Equal("cisco", e.Get(EcsFields.EventModule));
        Assert.Equal(line, e.Original);
    }

    [Theory]
    [InlineData("Nov 22 10:00:00 web1 sshd[42]: Failed password for root from 203.0.113.5 port 22 ssh2")]
    [InlineData("Nov 22 10:00:00 web1 app[7]: disk 95% full, delete old dir")]
    [InlineData("Nov 22 10:00:00 web1 app[7]: progress 50%-3-done: not a code")]
    [InlineData("2026-11-22 06:21:14 configure system-config-printer:all 1.5.18-1 <none>")]
    public void Other_lines_are_not_marked_cisco(string line)
    {
        var e = Single(line);

        Assert.NotEqual("cisco", e.Get(EcsFields.EventModule));
    }
}
