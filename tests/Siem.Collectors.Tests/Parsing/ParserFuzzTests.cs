using System.Text;
using Siem.Collectors.Parsing;
using Siem.Core.Events;
using static Siem.Collectors.Tests.Parsing.ParserTestKit;

namespace Siem.Collectors.Tests.Parsing;

/// <summary>
/// Seeded mutation loops over real lines. The rule under test: Parse never throws; every non-blank line yields
/// at least one event at once, unless it is an auditd record now held in its stream's pending group
/// (<see cref="ParserPipeline.OldestPendingOffset"/> is then non-null); after Flush nothing is pending and every
/// non-blank line is found in the Original of some event (auditd groups join their lines with '\n').
/// </summary>
public class ParserFuzzTests
{
    private static readonly string[] Seeds = BuildSeeds();

    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(20261122)]
    public void Mutated_real_lines_never_throw_and_are_never_lost(int seed)
    {
        var random = new Random(seed);
        var pipeline = Pipeline();
        var output = new List<LogEvent>();
        var lines = new List<string>();
        long offset = 0;
        for (int i = 0; i < 1500; i++)
        {
            string line = Mutate(Seeds[random.Next(Seeds.Length)], random);
            lines.Add(line);
            int before = output.Count;
            var raw = Line(line, offset, sourceKey: "fuzz");
            offset += line.Length + 1;

            pipeline.Parse(raw, output);

            if (string.IsNullOrWhiteSpace(line))
            {
                Assert.Equal(before, output.Count);
            }
            else if (output.Count == before)
            {
                Assert.True(pipeline.OldestPendingOffset("fuzz") is not null, $"seed {seed} line {i} gave no event and is not held: {Shorten(line)}");
            }
        }
        pipeline.Flush(output);

        Assert.Null(pipeline.OldestPendingOffset("fuzz"));
        // Expanded repeats share one Original instance: split each instance once.
        var instances = new HashSet<string>(output.Select(e => e.Original), ReferenceEqualityComparer.Instance);
        var originals = new HashSet<string>(instances.SelectMany(o => o.Split('\n')), StringComparer.Ordinal);
        foreach (string line in lines.Where(l => !string.IsNullOrWhiteSpace(l)))
        {
            Assert.True(originals.Contains(line), $"seed {seed}: line lost: {Shorten(line)}");
        }
        foreach (var e in output)
        {
            Assert.Matches("^[a-z2-7]{26}$", e.RecordId);
            // The pipeline's last-resort catch keeps the line, but a parser that throws is still a bug.
            Assert.False(e.Get("error.message")?.StartsWith("parser error:", StringComparison.Ordinal) ?? false, e.Get("error.message") + ": " + Shorten(e.Original));
            Assert.All(e.Fields.Values, v => Assert.True(v is string || (v is string[] a && a.All(s => s is not null))));
        }
    }

    [Fact]
    public void Ten_megabyte_lines_of_each_format_give_one_event_each()
    {
        string big = new('A', 10 * 1024 * 1024);
        var events = ParseAll(
            "Nov 22 03:10:01 bastion sshd[1]: Failed password for " + big + " from 203.0.113.5 port 1 ssh2",
            "{\"message\":\"" + big + "\"}",
            "type=SYSCALL msg=audit(1700000000.001:1): comm=\"" + big + "\"",
            big);

        // The auditd record is held until Flush, so it comes last.
        Assert.Equal(4, events.Count);
        Assert.Equal(big, events[0].Get(EcsFields.UserName));
        Assert.Equal(big, events[1].Get(EcsFields.Message));
        Assert.Contains(EcsFields.ParseFailureTag, Tags(events[2]));
        Assert.Equal(big, events[3].Get("auditd.comm"));
    }

    [Fact]
    public void Binary_garbage_decoded_with_replacement_is_kept()
    {
        var random = new Random(42);
        var bytes = new byte[4096];
        random.NextBytes(bytes);
        string text = Encoding.UTF8.GetString(bytes).Replace('\n', ' ').Replace('\r', ' ');

        var e = Single(text);

        Assert.Equal(text, e.Original);
    }

    private static string Mutate(string line, Random random)
    {
        var sb = new StringBuilder(line);
        int mutations = random.Next(1, 4);
        for (int m = 0; m < mutations; m++)
        {
            switch (random.Next(6))
            {
                case 0 when sb.Length > 0: // flip one character
                    sb[random.Next(sb.Length)] = RandomChar(random);
                    break;
                case 1 when sb.Length > 0: // truncate
                    sb.Length = random.Next(sb.Length);
                    break;
                case 2: // insert random characters
                    int at = random.Next(sb.Length + 1);
                    int n = random.Next(1, 12);
                    for (int k = 0; k < n; k++)
                    {
                        sb.Insert(at, RandomChar(random));
                    }
                    break;
                case 3: // a huge field
                    sb.Insert(random.Next(sb.Length + 1), new string(RandomChar(random), random.Next(1_000, 100_000)));
                    break;
                case 4 when sb.Length > 1: // cut a chunk out of the middle
                    int from = random.Next(sb.Length);
                    sb.Remove(from, random.Next(sb.Length - from));
                    break;
                default:
                    break;
            }
        }
        return sb.ToString();
    }

    private const string Interesting = "<>[]{}\"'=:; ()-.,\\/0123456789Tt+Z\u001d\0\uFFFD\u00e9\u4e2d\t\ud800\udc00";

    private static char RandomChar(Random random) => random.Next(3) switch
    {
        0 => Interesting[random.Next(Interesting.Length)],
        1 => (char)random.Next(0x20, 0x7f),
        _ => (char)random.Next(0x80, 0xd7ff),
    };

    private static string Shorten(string s) => s.Length <= 300 ? s : s[..300] + $"... ({s.Length} chars)";

    private static string[] BuildSeeds()
    {
        var seeds = new List<string>
        {
            "<38>Mar  5 10:15:30 web01 sshd[1234]: Accepted publickey for deploy from 2001:db8::7 port 60022 ssh2: ED25519 SHA256:Jd7m",
            "Nov 22 03:10:01 bastion sshd[4242]: Failed password for invalid user admin from 203.0.113.5 port 40001 ssh2",
            "Nov 22 03:10:01 bastion sshd[4242]: Connection closed by authenticating user root 203.0.113.5 port 40004 [preauth]",
            "Nov 22 03:10:01 bastion sshd[4242]: Received disconnect from 203.0.113.5 port 40008:11: Bye Bye [preauth]",
            "Nov 22 03:12:44 bastion sshd[4250]: message repeated 3 times: [ Failed password for root from 203.0.113.5 port 40010 ssh2]",
            "Nov 22 03:10:01 bastion sshd[4242]: pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=203.0.113.5  user=root",
            "Nov 22 03:20:11 web01 sudo:    alice : TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/usr/bin/apt-get install -y nmap",
            "Nov 22 03:21:40 web01 sudo:      bob : 3 incorrect password attempts ; TTY=pts/1 ; PWD=/home/bob ; USER=root ; COMMAND=/bin/cat /etc/shadow",
            "Nov 22 03:25:00 web01 su[5120]: (to root) alice on pts/0",
            "Nov 22 03:25:09 web01 su[5133]: FAILED SU (to root) bob on pts/1",
            "Nov 22 03:40:00 web01 useradd[6001]: new user: name=bob, UID=1001, GID=1001, home=/home/bob, shell=/bin/bash, from=/dev/pts/0",
            "Nov 22 03:42:00 web01 usermod[6020]: add 'bob' to shadow group 'sudo'",
            "Nov 22 03:43:00 web01 userdel[6030]: removed group 'bob' owned by 'bob'",
            "Nov 22 03:17:01 web01 CRON[3313]: (root) CMD (   cd / && run-parts --report /etc/cron.hourly)",
            "2026-11-22T03:59:01.123456+01:00 web01 sudo[777]: pam_unix(sudo:session): session opened for user root(uid=0) by alice(uid=1000)",
            "<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut=\"3\" eventSource=\"Application\"] \uFEFFAn application event",
            "<34>1 2003-10-11T22:14:15.003Z mymachine.example.com su - ID47 - 'su root' failed for lonvick on /dev/pts/8",
            "type=USER_AUTH msg=audit(1700000100.200:1201): pid=4242 uid=0 msg='op=PAM:authentication acct=\"root\" exe=\"/usr/sbin/sshd\" addr=203.0.113.5 res=failed'",
            "type=EXECVE msg=audit(1700000000.500:900): argc=3 a0=\"sh\" a1=\"-c\" a2_len=12 a2[0]=6563686F20 a2[1]=2268692229",
            """{"Event":{"System":{"Provider":{"#attributes":{"Name":"Microsoft-Windows-Security-Auditing"}},"EventID":{"#text":"4688"},"Channel":"Security"},"EventData":{"Data":[{"@Name":"CommandLine","#text":"whoami /all"}]}}}""",
        };
        string otrf = Path.Combine(TestData, "otrf");
        seeds.AddRange(File.ReadAllLines(Directory.GetFiles(otrf, "sh_arp_cache_*").Single()));
        seeds.AddRange(File.ReadAllLines(Directory.GetFiles(otrf, "sh_binary_padding_dd_*").Single()));
        seeds.AddRange(File.ReadLines(Directory.GetFiles(otrf, "psh_lsass_memory_dump_comsvcs_*").Single()).Take(20));
        seeds.AddRange(File.ReadLines(Directory.GetFiles(otrf, "syslog_auoms_*").Single()).Take(5));
        return [.. seeds];
    }
}
