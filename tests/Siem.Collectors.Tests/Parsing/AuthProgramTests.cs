using Siem.Core.Events;
using static Siem.Collectors.Tests.Parsing.ParserTestKit;

namespace Siem.Collectors.Tests.Parsing;

/// <summary>sudo, su, PAM sessions, shadow-utils and cron lines as Debian/Ubuntu write them to auth.log / syslog.</summary>
public class AuthProgramTests
{
    [Fact]
    public void Sudo_command_is_a_process_start_by_the_invoking_user_as_root()
    {
        var e = Single("Nov 22 03:20:11 web01 sudo:    alice : TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/usr/bin/apt-get install -y nmap ; echo done");

        Assert.Equal("process", e.Get(EcsFields.EventCategory));
        Assert.Equal("start", e.Get(EcsFields.EventType));
        Assert.Equal("sudo_command", e.Get(EcsFields.EventAction));
        Assert.Equal("success", e.Get(EcsFields.EventOutcome));
        Assert.Equal("alice", e.Get(EcsFields.UserName));
        Assert.Equal("root", e.Get(EcsFields.UserEffectiveName));
        Assert.Equal("/home/alice", e.Get(EcsFields.ProcessWorkingDirectory));
        Assert.Equal("pts/0", e.Get("sudo.tty"));
        Assert.Equal("/usr/bin/apt-get install -y nmap ; echo done", e.Get(EcsFields.ProcessCommandLine));
    }

    [Fact]
    public void Sudo_incorrect_password_attempts_are_authentication_failures()
    {
        var e = Single("Nov 22 03:21:40 web01 sudo:      bob : 3 incorrect password attempts ; TTY=pts/1 ; PWD=/home/bob ; USER=root ; COMMAND=/bin/cat /etc/shadow");

        Assert.Equal("authentication", e.Get(EcsFields.EventCategory));
        Assert.Equal("sudo_auth_failure", e.Get(EcsFields.EventAction));
        Assert.Equal("failure", e.Get(EcsFields.EventOutcome));
        Assert.Equal("bob", e.Get(EcsFields.UserName));
        Assert.Equal("3", e.Get("sudo.attempts"));
        Assert.Equal("/bin/cat /etc/shadow", e.Get(EcsFields.ProcessCommandLine));
    }

    [Fact]
    public void Sudo_user_not_in_sudoers_is_denied()
    {
        var e = Single("Nov 22 03:22:05 web01 sudo:  mallory : user NOT in sudoers ; TTY=pts/2 ; PWD=/tmp ; USER=root ; COMMAND=/bin/bash");

        Assert.Equal("sudo_not_in_sudoers", e.Get(EcsFields.EventAction));
        Assert.Equal("failure", e.Get(EcsFields.EventOutcome));
        Assert.Equal("mallory", e.Get(EcsFields.UserName));
        Assert.Equal("user NOT in sudoers", e.Get("sudo.error"));
        Assert.Equal("/bin/bash", e.Get(EcsFields.ProcessCommandLine));
    }

    [Fact]
    public void Pam_session_opened_by_sudo()
    {
        var e = Single("Nov 22 03:20:11 web01 sudo: pam_unix(sudo:session): session opened for user root(uid=0) by alice(uid=1000)");

        Assert.Equal("session", e.Get(EcsFields.EventCategory));
        Assert.Equal("start", e.Get(EcsFields.EventType));
        Assert.Equal("session_opened", e.Get(EcsFields.EventAction));
        Assert.Equal("root", e.Get(EcsFields.UserName));
        Assert.Equal("0", e.Get(EcsFields.UserId));
        Assert.Equal("alice", e.Get("pam.by_user"));
        Assert.Equal("1000", e.Get("pam.by_uid"));
        Assert.Equal("sudo", e.Get("pam.service"));
    }

    [Theory]
    [InlineData("Nov 22 03:17:01 web01 CRON[3312]: pam_unix(cron:session): session opened for user root by (uid=0)", "session_opened", "start", "cron")]
    [InlineData("Nov 22 03:17:01 web01 CRON[3312]: pam_unix(cron:session): session closed for user root", "session_closed", "end", "cron")]
    [InlineData("Nov 22 03:30:02 web01 sshd[4242]: pam_unix(sshd:session): session closed for user root", "session_closed", "end", "sshd")]
    public void Pam_sessions(string line, string action, string type, string service)
    {
        var e = Single(line);

        Assert.Equal(action, e.Get(EcsFields.EventAction));
        Assert.Equal(type, e.Get(EcsFields.EventType));
        Assert.Equal("root", e.Get(EcsFields.UserName));
        Assert.Equal(service, e.Get("pam.service"));
    }

    [Fact]
    public void Sudo_pam_authentication_failure_names_the_user()
    {
        var e = Single("Nov 22 03:21:30 web01 sudo: pam_unix(sudo:auth): authentication failure; logname=bob uid=1001 euid=0 tty=/dev/pts/1 ruser=bob rhost=  user=bob");

        Assert.Equal("authentication_failure", e.Get(EcsFields.EventAction));
        Assert.Equal("bob", e.Get(EcsFields.UserName));
        Assert.Equal("/dev/pts/1", e.Get("pam.tty"));
        Assert.Null(e.Get(EcsFields.SourceIp));
    }

    [Fact]
    public void Su_success_names_user_and_target()
    {
        var e = Single("Nov 22 03:25:00 web01 su[5120]: (to root) alice on pts/0");

        Assert.Equal("su", e.Get(EcsFields.EventAction));
        Assert.Equal("success", e.Get(EcsFields.EventOutcome));
        Assert.Equal("alice", e.Get(EcsFields.UserName));
        Assert.Equal("root", e.Get(EcsFields.UserTargetName));
        Assert.Equal("pts/0", e.Get("su.tty"));
    }

    [Fact]
    public void Su_failure()
    {
        var e = Single("Nov 22 03:25:09 web01 su[5133]: FAILED SU (to root) bob on pts/1");

        Assert.Equal("su", e.Get(EcsFields.EventAction));
        Assert.Equal("failure", e.Get(EcsFields.EventOutcome));
        Assert.Equal("bob", e.Get(EcsFields.UserName));
        Assert.Equal("root", e.Get(EcsFields.UserTargetName));
    }

    [Fact]
    public void Su_pam_authentication_failure()
    {
        var e = Single("Nov 22 03:25:07 web01 su[5133]: pam_unix(su:auth): authentication failure; logname=bob uid=1001 euid=0 tty=/dev/pts/1 ruser=bob rhost=  user=root");

        Assert.Equal("authentication_failure", e.Get(EcsFields.EventAction));
        Assert.Equal("failure", e.Get(EcsFields.EventOutcome));
        Assert.Equal("root", e.Get(EcsFields.UserName));
        Assert.Equal("bob", e.Get("pam.ruser"));
        Assert.Equal("su", e.Get("pam.service"));
    }

    [Fact]
    public void Useradd_new_user()
    {
        var e = Single("Nov 22 03:40:00 web01 useradd[6001]: new user: name=bob, UID=1001, GID=1001, home=/home/bob, shell=/bin/bash, from=/dev/pts/0");

        Assert.Equal("iam", e.Get(EcsFields.EventCategory));
        Assert.Equal(new[] { "user", "creation" }, Values(e, EcsFields.EventType));
        Assert.Equal("user_created", e.Get(EcsFields.EventAction));
        Assert.Equal("bob", e.Get(EcsFields.UserName));
        Assert.Equal("1001", e.Get(EcsFields.UserId));
        Assert.Equal("1001", e.Get(EcsFields.GroupId));
        Assert.Equal("/home/bob", e.Get("account.home"));
        Assert.Equal("/bin/bash", e.Get("account.shell"));
    }

    [Theory]
    [InlineData("Nov 22 03:40:00 web01 useradd[6001]: new group: name=bob, GID=1001", "group_created", null, "bob")]
    [InlineData("Nov 22 03:41:00 web01 groupadd[6010]: group added to /etc/group: name=devops, GID=1002", "group_created", null, "devops")]
    [InlineData("Nov 22 03:42:00 web01 usermod[6020]: add 'bob' to group 'sudo'", "user_added_to_group", "bob", "sudo")]
    [InlineData("Nov 22 03:42:00 web01 usermod[6020]: add 'bob' to shadow group 'sudo'", "user_added_to_group", "bob", "sudo")]
    [InlineData("Nov 22 03:43:00 web01 userdel[6030]: delete user 'bob'", "user_deleted", "bob", null)]
    [InlineData("Nov 22 03:43:00 web01 userdel[6030]: removed group 'bob' owned by 'bob'", "group_deleted", "bob", "bob")]
    [InlineData("Nov 22 03:44:00 web01 groupdel[6040]: group 'devops' removed", "group_deleted", null, "devops")]
    [InlineData("Nov 22 03:45:00 web01 usermod[6050]: change user 'alice' shell from '/bin/sh' to '/bin/bash'", "user_change_shell", "alice", null)]
    [InlineData("Nov 22 03:45:00 web01 usermod[6051]: lock user 'alice' password", "user_lock_password", "alice", null)]
    [InlineData("Nov 22 03:46:00 web01 passwd[6060]: pam_unix(passwd:chpasswd): password changed for alice", "password_changed", "alice", null)]
    public void Account_management(string line, string action, string? user, string? group)
    {
        var e = Single(line);

        Assert.Equal("iam", e.Get(EcsFields.EventCategory));
        Assert.Equal(action, e.Get(EcsFields.EventAction));
        Assert.Equal(user, e.Get(EcsFields.UserName));
        Assert.Equal(group, e.Get(EcsFields.GroupName));
    }

    [Fact]
    public void Cron_command_keeps_nested_parentheses()
    {
        var e = Single("Nov 22 03:17:01 web01 CRON[3313]: (root) CMD (   cd / && run-parts --report /etc/cron.hourly && (echo ok))");

        Assert.Equal("process", e.Get(EcsFields.EventCategory));
        Assert.Equal("cron_command", e.Get(EcsFields.EventAction));
        Assert.Equal("root", e.Get(EcsFields.UserName));
        Assert.Equal("   cd / && run-parts --report /etc/cron.hourly && (echo ok)", e.Get(EcsFields.ProcessCommandLine));
        Assert.Equal("3313", e.Get(EcsFields.ProcessPid));
    }

    [Theory]
    [InlineData("Nov 22 01:05:00 web01 systemd-logind[612]: New session 41 of user deploy.", "logind_session_new", "start", "deploy")]
    [InlineData("Nov 22 01:05:40 web01 systemd-logind[612]: Session 41 logged out. Waiting for processes to exit.", "logind_session_logged_out", "end", null)]
    [InlineData("Nov 22 01:05:40 web01 systemd-logind[612]: Removed session 41.", "logind_session_removed", "end", null)]
    public void Logind_sessions(string line, string action, string type, string? user)
    {
        var e = Single(line);

        Assert.Equal("session", e.Get(EcsFields.EventCategory));
        Assert.Equal(action, e.Get(EcsFields.EventAction));
        Assert.Equal(type, e.Get(EcsFields.EventType));
        Assert.Equal("41", e.Get("session.id"));
        Assert.Equal(user, e.Get(EcsFields.UserName));
    }
}
