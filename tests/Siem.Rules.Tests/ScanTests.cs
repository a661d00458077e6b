using System.Diagnostics;
using System.Text.Json;
using Siem.Host.Commands;

namespace Siem.Rules.Tests;

/// <summary><c>siem scan</c> end to end through its internal entry point, plus one real subprocess for the output shape.</summary>
public sealed class ScanTests
{
    private static string Regression(string rule) =>
        Directory.EnumerateDirectories(Path.Combine(PackPaths.TestData, "sigma", "regression"), rule, SearchOption.AllDirectories).Single();

    private static string CorpusRule(string rule) =>
        Directory.EnumerateFiles(Path.Combine(PackPaths.TestData, "sigma", "rules"), rule + ".yml", SearchOption.AllDirectories).Single();

    private static (int Exit, List<JsonElement> Lines, string Errors) Scan(IReadOnlyList<string> rules, params string[] inputs)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var (exit, _) = ScanCommand.Run(new ScanCommand.Settings(rules, inputs, PackPaths.DefaultPipeline, Json: true), stdout, stderr);
        var lines = stdout.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement.Clone()).ToList();
        return (exit, lines, stderr.ToString());
    }

    [Fact]
    public void A_regression_case_file_is_one_windows_event_that_triggers_its_rule()
    {
        var dir = Regression("proc_creation_win_renamed_curl");
        var input = Directory.EnumerateFiles(dir, "*.json").Single();

        var (exit, lines, errors) = Scan([CorpusRule("proc_creation_win_renamed_curl")], input);

        Assert.Equal(0, exit);
        Assert.Equal("", errors);
        var match = lines[0];
        Assert.Equal("7530cd3d-7671-43e3-b209-976966f6ea48", match.GetProperty("rule_id").GetString());
        Assert.Equal("Renamed CURL.EXE Execution", match.GetProperty("rule_title").GetString());
        Assert.Equal(input, match.GetProperty("input").GetString());
        Assert.Equal(1, match.GetProperty("line").GetInt32());
        Assert.Equal("curl.exe", match.GetProperty("event").GetProperty("OriginalFileName").GetString());
        Assert.Equal(2, lines.Count);
        Assert.Equal(1, lines[1].GetProperty("events").GetInt64());
        Assert.Equal(1, lines[1].GetProperty("matches").GetInt64());
        Assert.Equal(1, lines[1].GetProperty("rules").GetInt32());
    }

    [Fact]
    public void An_access_log_with_a_path_traversal_and_a_sqlmap_injection_raises_the_sigmahq_webserver_rules()
    {
        var dir = Directory.CreateTempSubdirectory("siem-scan-");
        try
        {
            var path = Path.Combine(dir.FullName, "access.log");
            File.WriteAllLines(path,
            [
                "203.0.113.10 - - [22/Nov/2026:10:00:00 +0000] \"GET /index.html HTTP/1.1\" 200 512 \"-\" \"Mozilla/5.0\"",
                "203.0.113.66 - - [22/Nov/2026:10:01:00 +0000] \"GET /cgi-bin/../../../../etc/passwd HTTP/1.1\" 400 0 \"-\" \"curl/7.68\"",
                "203.0.113.66 - - [22/Nov/2026:10:01:02 +0000] \"GET /index.php?id=1%27%20UNION%20SELECT%201,2,3-- HTTP/1.1\" 200 10 \"-\" \"sqlmap/1.5\"",
                // Answered 404: the SQL injection rule's filter (sc-status) leaves it out.
                "203.0.113.66 - - [22/Nov/2026:10:01:03 +0000] \"GET /index.php?id=1%27%20UNION%20SELECT%201,2,3-- HTTP/1.1\" 404 10 \"-\" \"Mozilla/5.0\"",
            ]);

            var (exit, lines, errors) = Scan([Path.Combine(PackPaths.TestData, "sigma", "rules", "web")], path);

            Assert.Equal(0, exit);
            Assert.Equal("", errors);
            Assert.Equal(["2 Path Traversal Exploitation Attempts", "3 SQL Injection Strings In URI", "3 Suspicious User-Agents Related To Recon Tools"],
                lines.SkipLast(1).Select(m => $"{m.GetProperty("line").GetInt32()} {m.GetProperty("rule_title").GetString()}").Order(StringComparer.Ordinal));
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public void An_auth_log_with_a_brute_force_a_guessed_password_and_a_new_user_raises_the_pack_alerts()
    {
        var dir = Directory.CreateTempSubdirectory("siem-scan-");
        try
        {
            var log = new List<string>();
            for (var i = 0; i < 12; i++)
            {
                log.Add($"Nov 21 10:00:{i * 2:00} web1 sshd[4242]: Failed password for root from 203.0.113.5 port {40000 + i} ssh2");
            }
            log.Add("Nov 21 10:00:30 web1 sshd[4242]: Accepted password for root from 203.0.113.5 port 40100 ssh2");
            log.Add("Nov 21 10:01:00 web1 CRON[999]: (root) CMD (run-parts /etc/cron.hourly)");
            log.Add("Nov 21 10:02:00 web1 useradd[1337]: new user: name=backdoor, UID=0, GID=0, home=/root, shell=/bin/bash, from=/dev/pts/0");
            var path = Path.Combine(dir.FullName, "auth.log");
            File.WriteAllLines(path, log);

            var (exit, lines, errors) = Scan([Path.Combine(PackPaths.Pack, "linux")], path);

            Assert.Equal(0, exit);
            Assert.Equal("", errors);
            var matches = lines.SkipLast(1).ToList();
            Assert.Equal(["New Local User Created", "SSH Brute Force From One Source", "SSH Login Success After Repeated Failures"],
                matches.Select(m => m.GetProperty("rule_title").GetString()).Order(StringComparer.Ordinal));
            var bruteForce = matches.Single(m => m.GetProperty("rule_title").GetString() == "SSH Brute Force From One Source");
            Assert.Equal("203.0.113.5", bruteForce.GetProperty("group").GetProperty("source.ip").GetString());
            Assert.Equal(10, bruteForce.GetProperty("count").GetInt32());
            Assert.Equal(10, bruteForce.GetProperty("line").GetInt32()); // the tenth failure completes the window
            Assert.False(bruteForce.TryGetProperty("event", out _));
            Assert.Equal(10, bruteForce.GetProperty("events").GetArrayLength());
            var newUser = matches.Single(m => m.GetProperty("rule_title").GetString() == "New Local User Created");
            Assert.Equal(15, newUser.GetProperty("line").GetInt32());
            Assert.Equal("backdoor", newUser.GetProperty("event").GetProperty("user.name").GetString());
            Assert.Equal(15, lines[^1].GetProperty("events").GetInt64());
            Assert.Equal(3, lines[^1].GetProperty("matches").GetInt64());
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public void Otrf_auditd_logs_of_arp_discovery_and_dd_padding_trigger_the_suspicious_execution_rule()
    {
        var otrf = Path.Combine(PackPaths.TestData, "otrf");

        var (exit, lines, _) = Scan([Path.Combine(PackPaths.Pack, "linux", "lnx_auditd_suspicious_execution.yml")],
            Path.Combine(otrf, "sh_arp_cache_2020-11-10074812.log"), Path.Combine(otrf, "sh_binary_padding_dd_2020-11-10081941.log"));

        Assert.Equal(0, exit);
        var matches = lines.SkipLast(1).ToList();
        Assert.Equal(2, matches.Count);
        Assert.Equal(["arp -a", "dd if=/dev/zero bs=1 count=1"], matches.Select(m => m.GetProperty("event").GetProperty("process.command_line").GetString()));
        Assert.All(matches, m => Assert.Equal("Suspicious Execution Seen By Auditd", m.GetProperty("rule_title").GetString()));
    }

    [Fact]
    public void Auoms_auditd_json_is_judged_by_linux_rules_and_not_by_cisco_keyword_rules()
    {
        var auoms = Directory.GetFiles(Path.Combine(PackPaths.TestData, "otrf"), "syslog_auoms_*").Single();

        // "delete" (auditd key=auoms,delete) and "dir" (dirname) are Cisco CLI keywords; the events are Linux auditd.
        var (exit, lines, _) = Scan([CorpusRule("cisco_cli_file_deletion"), CorpusRule("cisco_cli_discovery"), CorpusRule("proc_creation_lnx_base64_decode")], auoms);

        Assert.Equal(0, exit);
        var match = Assert.Single(lines.SkipLast(1));
        Assert.Equal("Decode Base64 Encoded Text", match.GetProperty("rule_title").GetString());
        Assert.Equal("base64 -d", match.GetProperty("event").GetProperty("process.command_line").GetString());
    }

    [Fact]
    public void Cisco_keyword_rules_judge_lines_with_a_cisco_message_code_and_not_other_logs()
    {
        var dir = Directory.CreateTempSubdirectory("siem-scan-cisco-").FullName;
        try
        {
            var log = Path.Combine(dir, "mixed.log");
            File.WriteAllLines(log,
            [
                "<189>Mar  1 00:06:10 router1 61: %PARSER-5-CFGLOG_LOGGEDCMD: User:admin  logged command:dir flash:",
                "Nov 22 10:00:00 web1 app[7]: cleaned the tmp dir",
                "2026-11-22 06:21:14 configure dirmngr:amd64 2.2.40-1.1 <none>",
            ]);

            var (exit, lines, _) = Scan([CorpusRule("cisco_cli_discovery")], log);

            Assert.Equal(0, exit);
            var match = Assert.Single(lines.SkipLast(1));
            Assert.Equal("Cisco Discovery", match.GetProperty("rule_title").GetString());
            Assert.Equal(1, match.GetProperty("line").GetInt32());
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void A_broken_rule_is_reported_on_stderr_with_its_place_and_the_others_still_scan()
    {
        var dir = Directory.CreateTempSubdirectory("siem-scan-");
        try
        {
            File.Copy(Path.Combine(PackPaths.Pack, "linux", "lnx_new_local_user.yml"), Path.Combine(dir.FullName, "good.yml"));
            File.WriteAllText(Path.Combine(dir.FullName, "broken.yml"), "title: broken\ncorrelation:\n    type: event_count\n    rules: [x]\n    timespan: 5 minutes\n    condition: {gte: 1}\n");
            var log = Path.Combine(dir.FullName, "auth.log");
            File.WriteAllText(log, "Nov 21 10:02:00 web1 useradd[1337]: new user: name=bob, UID=1001, GID=1001, home=/home/bob, shell=/bin/bash\n");

            var (exit, lines, errors) = Scan([Path.Combine(dir.FullName, "good.yml"), Path.Combine(dir.FullName, "broken.yml")], log);

            Assert.Equal(0, exit);
            Assert.Contains($"broken.yml:5:15: invalid timespan '5 minutes'", errors, StringComparison.Ordinal);
            Assert.Equal("New Local User Created", lines[0].GetProperty("rule_title").GetString());
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task Siem_scan_json_as_a_process_prints_one_match_line_per_match_and_a_summary_last()
    {
        var bin = Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "..", "..", "Siem.Host", "release", "siem.dll"));
        var dll = File.Exists(bin) ? bin : Path.Combine(AppContext.BaseDirectory, "siem.dll");
        var input = Directory.EnumerateFiles(Regression("proc_creation_win_renamed_curl"), "*.json").Single();
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = PackPaths.RepoRoot };
        foreach (var a in new[] { dll, "scan", "--json", "--rules", CorpusRule("proc_creation_win_renamed_curl"), Path.Combine(PackPaths.Pack, "linux"), "--", input })
        {
            psi.ArgumentList.Add(a);
        }
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        using var process = Process.Start(psi)!;
        var stdout = process.StandardOutput.ReadToEndAsync(cts.Token);
        var stderr = process.StandardError.ReadToEndAsync(cts.Token);
        await process.WaitForExitAsync(cts.Token);

        Assert.True(process.ExitCode == 0, await stderr);
        var lines = (await stdout).Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Equal(2, lines.Count);
        Assert.Equal(["rule_id", "rule_title", "level", "input", "line", "event"], lines[0].EnumerateObject().Select(p => p.Name));
        Assert.Equal(["events", "matches", "rules", "events_per_sec"], lines[1].EnumerateObject().Select(p => p.Name));
        Assert.Equal(1, lines[1].GetProperty("matches").GetInt64());
        Assert.True(lines[1].GetProperty("events_per_sec").GetDouble() > 0);
    }
}
