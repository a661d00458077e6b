using Siem.Core.Events;
using static Siem.Collectors.Tests.Parsing.ParserTestKit;

namespace Siem.Collectors.Tests.Parsing;

public class SshdParserTests
{
    private const string Header = "Nov 22 03:10:01 bastion sshd[4242]: ";

    [Theory]
    [InlineData("Accepted password for alice from 192.0.2.10 port 51234 ssh2", "password", "alice", "192.0.2.10", "51234", "success")]
    [InlineData("Accepted publickey for deploy from 2001:db8::7 port 60022 ssh2: ED25519 SHA256:Jd7mJ5kzq3o0m1+G7y0bM2d0Yq1vTgk3pD8a6N1v0xQ", "publickey", "deploy", "2001:db8::7", "60022", "success")]
    [InlineData("Failed password for root from 203.0.113.5 port 40000 ssh2", "password", "root", "203.0.113.5", "40000", "failure")]
    [InlineData("Failed password for invalid user admin from 203.0.113.5 port 40001 ssh2", "password", "admin", "203.0.113.5", "40001", "failure")]
    [InlineData("Failed publickey for git from 198.51.100.23 port 33210 ssh2: RSA SHA256:1Zk4TcQ4c6m8XKf2cJm1YqZJr3nq0Q7r3s9xQ1yWl3A", "publickey", "git", "198.51.100.23", "33210", "failure")]
    [InlineData("Failed none for invalid user oracle from 203.0.113.77 port 51000 ssh2", "none", "oracle", "203.0.113.77", "51000", "failure")]
    [InlineData("Accepted keyboard-interactive/pam for bob from 192.0.2.11 port 50000 ssh2", "keyboard-interactive/pam", "bob", "192.0.2.11", "50000", "success")]
    public void Login_attempts_map_to_ssh_login(string message, string method, string user, string ip, string port, string outcome)
    {
        var e = Single(Header + message);

        Assert.Equal("authentication", e.Get(EcsFields.EventCategory));
        Assert.Equal("ssh_login", e.Get(EcsFields.EventAction));
        Assert.Equal(outcome, e.Get(EcsFields.EventOutcome));
        Assert.Equal(outcome == "success" ? "start" : "info", e.Get(EcsFields.EventType));
        Assert.Equal(method, e.Get("system.auth.ssh.method"));
        Assert.Equal(user, e.Get(EcsFields.UserName));
        Assert.Equal(ip, e.Get(EcsFields.SourceIp));
        Assert.Equal(port, e.Get(EcsFields.SourcePort));
        Assert.Equal("sshd", e.Get(EcsFields.ProcessName));
        Assert.Equal("4242", e.Get(EcsFields.ProcessPid));
        Assert.Equal("bastion", e.Get(EcsFields.HostName));
        Assert.Equal(message, e.Get(EcsFields.Message));
    }

    [Fact]
    public void Invalid_user_marks_the_user_as_invalid()
    {
        var e = Single(Header + "Invalid user admin from 203.0.113.5 port 40001");

        Assert.Equal("invalid_user", e.Get(EcsFields.EventAction));
        Assert.Equal("failure", e.Get(EcsFields.EventOutcome));
        Assert.Equal("admin", e.Get(EcsFields.UserName));
        Assert.Equal("203.0.113.5", e.Get(EcsFields.SourceIp));
        Assert.Equal("40001", e.Get(EcsFields.SourcePort));
        Assert.Equal("true", e.Get("system.auth.ssh.invalid_user"));
    }

    [Fact]
    public void Invalid_user_without_port_as_older_openssh_writes_it()
    {
        var e = Single(Header + "Invalid user test from 203.0.113.9");

        Assert.Equal("test", e.Get(EcsFields.UserName));
        Assert.Equal("203.0.113.9", e.Get(EcsFields.SourceIp));
        Assert.Null(e.Get(EcsFields.SourcePort));
    }

    [Theory]
    [InlineData("Disconnected from user alice 192.0.2.10 port 51234", "ssh_disconnect", "alice", "192.0.2.10", "51234", null)]
    [InlineData("Disconnected from invalid user admin 203.0.113.5 port 40001 [preauth]", "ssh_disconnect", "admin", "203.0.113.5", "40001", "true")]
    [InlineData("Disconnected from authenticating user root 203.0.113.5 port 40002 [preauth]", "ssh_disconnect", "root", "203.0.113.5", "40002", "true")]
    [InlineData("Disconnected from 203.0.113.5 port 40003 [preauth]", "ssh_disconnect", null, "203.0.113.5", "40003", "true")]
    [InlineData("Connection closed by authenticating user root 203.0.113.5 port 40004 [preauth]", "ssh_connection_closed", "root", "203.0.113.5", "40004", "true")]
    [InlineData("Connection closed by invalid user support 203.0.113.5 port 40005 [preauth]", "ssh_connection_closed", "support", "203.0.113.5", "40005", "true")]
    [InlineData("Connection closed by 203.0.113.5 port 40006 [preauth]", "ssh_connection_closed", null, "203.0.113.5", "40006", "true")]
    [InlineData("Connection reset by 203.0.113.5 port 40007", "ssh_connection_reset", null, "203.0.113.5", "40007", null)]
    [InlineData("Received disconnect from 203.0.113.5 port 40008:11: Bye Bye [preauth]", "ssh_disconnect", null, "203.0.113.5", "40008", "true")]
    [InlineData("Received disconnect from 192.0.2.10 port 40009:11: disconnected by user", "ssh_disconnect", null, "192.0.2.10", "40009", null)]
    public void Disconnects_are_session_ends(string message, string action, string? user, string ip, string port, string? preauth)
    {
        var e = Single(Header + message);

        Assert.Equal("session", e.Get(EcsFields.EventCategory));
        Assert.Equal("end", e.Get(EcsFields.EventType));
        Assert.Equal(action, e.Get(EcsFields.EventAction));
        Assert.Equal(user, e.Get(EcsFields.UserName));
        Assert.Equal(ip, e.Get(EcsFields.SourceIp));
        Assert.Equal(port, e.Get(EcsFields.SourcePort));
        Assert.Equal(preauth, e.Get("system.auth.ssh.preauth"));
    }

    [Fact]
    public void Received_disconnect_from_ipv6_peer()
    {
        var e = Single(Header + "Received disconnect from 2001:db8::5 port 40100:11: Bye Bye [preauth]");

        Assert.Equal("2001:db8::5", e.Get(EcsFields.SourceIp));
        Assert.Equal("40100", e.Get(EcsFields.SourcePort));
    }

    [Fact]
    public void Pam_authentication_failure_from_sshd()
    {
        var e = Single(Header + "pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=203.0.113.5  user=root");

        Assert.Equal("authentication", e.Get(EcsFields.EventCategory));
        Assert.Equal("authentication_failure", e.Get(EcsFields.EventAction));
        Assert.Equal("failure", e.Get(EcsFields.EventOutcome));
        Assert.Equal("root", e.Get(EcsFields.UserName));
        Assert.Equal("203.0.113.5", e.Get(EcsFields.SourceIp));
        Assert.Equal("sshd", e.Get("pam.service"));
        Assert.Equal("ssh", e.Get("pam.tty"));
        Assert.Null(e.Get("pam.ruser"));
    }

    [Fact]
    public void Disconnecting_after_too_many_authentication_failures()
    {
        var e = Single(Header + "Disconnecting authenticating user root 203.0.113.45 port 57821: Too many authentication failures [preauth]");

        Assert.Equal("ssh_too_many_auth_failures", e.Get(EcsFields.EventAction));
        Assert.Equal("failure", e.Get(EcsFields.EventOutcome));
        Assert.Equal("root", e.Get(EcsFields.UserName));
        Assert.Equal("203.0.113.45", e.Get(EcsFields.SourceIp));
        Assert.Equal("57821", e.Get(EcsFields.SourcePort));
        Assert.Equal("Too many authentication failures", e.Get("system.auth.ssh.disconnect_reason"));
    }

    [Fact]
    public void Pam_more_authentication_failures_counts_them()
    {
        var e = Single(Header + "PAM 2 more authentication failures; logname= uid=0 euid=0 tty=ssh ruser= rhost=203.0.113.45  user=root");

        Assert.Equal("authentication_failure", e.Get(EcsFields.EventAction));
        Assert.Equal("2", e.Get("pam.more_failures"));
        Assert.Equal("root", e.Get(EcsFields.UserName));
        Assert.Equal("203.0.113.45", e.Get(EcsFields.SourceIp));
    }

    [Fact]
    public void Scanner_without_identification_string()
    {
        var e = Single(Header + "Did not receive identification string from 198.51.100.99 port 61000");

        Assert.Equal("ssh_no_identification", e.Get(EcsFields.EventAction));
        Assert.Equal("198.51.100.99", e.Get(EcsFields.SourceIp));
    }

    [Theory]
    [InlineData("Accepted something odd that is not a login line")]
    [InlineData("Accepted password for alice from 192.0.2.10 port notaport ssh2")]
    [InlineData("Server listening on 0.0.0.0 port 22.")]
    public void Unknown_or_half_matching_sshd_message_keeps_header_fields_only_and_is_not_a_failure(string message)
    {
        var e = Single(Header + message);

        Assert.Equal("sshd", e.Get(EcsFields.ProcessName));
        Assert.Null(e.Get(EcsFields.EventCategory));
        Assert.Null(e.Get("system.auth.ssh.method"));
        Assert.Null(e.Get(EcsFields.UserName));
        Assert.Null(e.Get(EcsFields.EventOutcome));
        Assert.Equal(message, e.Get(EcsFields.Message));
        Assert.Empty(Tags(e));
    }

    [Fact]
    public void Plain_ipv4_shortcut_agrees_with_IPAddress_parsing()
    {
        var random = new Random(7);
        const string alphabet = "0123456789.";
        var samples = new List<string> { "203.0.113.5", "0.0.0.0", "255.255.255.255", "256.1.1.1", "01.2.3.4", "1.2.3", "1.2.3.4.", "1..2.3", "1.2.3.4.5", "" };
        for (int i = 0; i < 5000; i++)
        {
            samples.Add(random.Next(3) == 0
                ? string.Join('.', Enumerable.Range(0, 4).Select(_ => random.Next(0, 300).ToString(System.Globalization.CultureInfo.InvariantCulture)))
                : new string(Enumerable.Range(0, random.Next(1, 17)).Select(_ => alphabet[random.Next(alphabet.Length)]).ToArray()));
        }

        foreach (var s in samples)
        {
            if (Siem.Collectors.Parsing.SshdParser.IsPlainIPv4(s))
            {
                // Whatever the shortcut accepts is an address IPAddress reads back to the very same text.
                Assert.True(System.Net.IPAddress.TryParse(s, out var parsed), s);
                Assert.Equal(s, parsed.ToString());
            }
            else if (System.Net.IPAddress.TryParse(s, out var parsed) && parsed.ToString() == s && s.Count(c => c == '.') == 3)
            {
                Assert.Fail($"'{s}' is a canonical IPv4 address the shortcut refused");
            }
        }
    }
}
