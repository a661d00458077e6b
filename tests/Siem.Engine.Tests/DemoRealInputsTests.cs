using System.IO.Compression;
using System.Text;
using System.Text.Json;
using Siem.Host.Demo;
using Siem.Testing;

namespace Siem.Engine.Tests;

/// <summary>
/// <c>siem demo --once --input ... --rules ...</c> over third-party logs and SigmaHQ rules, through the real agent,
/// nats-server, engine and SQLite index: every event shipped is indexed, and the rules written for the attack fire.
/// </summary>
public sealed class DemoRealInputsTests
{
    private static string TestData => Path.Combine(EngineStateTests.FindRepoRoot(), "..", "shared", "testdata");

    private static string CorpusRule(string name) =>
        Directory.EnumerateFiles(Path.Combine(TestData, "sigma", "rules"), name + ".yml", SearchOption.AllDirectories).Single();

    private sealed record Run(int Exit, JsonElement Summary, List<JsonElement> Alerts, string Errors);

    private static async Task<Run> DemoAsync(string dir, IReadOnlyList<string> inputs, IReadOnlyList<string> rules)
    {
        await using var server = await NatsServer.StartAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int exit = await DemoRunner.RunAsync(new DemoOptions
        {
            Once = true,
            NatsUrl = server.Url,
            Inputs = inputs,
            RuleDirs = rules,
            DataDir = Path.Combine(dir, "data"),
            Json = true,
        }, stdout, stderr, timeout.Token);
        var lines = stdout.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement.Clone()).ToList();
        Assert.True(exit == 0 && lines.Count > 0, $"demo exited {exit}:\n{stderr}");
        return new Run(exit, lines[^1], lines.SkipLast(1).ToList(), stderr.ToString());
    }

    private static void AssertEverythingIndexed(JsonElement summary, long events)
    {
        Assert.Equal(events, summary.GetProperty("events_ingested").GetInt64());
        Assert.Equal(events, summary.GetProperty("events_indexed").GetInt64());
        Assert.Equal(0, summary.GetProperty("quarantined").GetInt64());
    }

    [Fact]
    public async Task A_gzipped_utf16_json_array_export_of_the_otrf_lsass_dump_raises_the_sigmahq_comsvcs_alerts()
    {
        var dir = Directory.CreateTempSubdirectory("siem-demo-real-").FullName;
        try
        {
            // What a Windows admin hands over: PowerShell's ConvertTo-Json array, written as UTF-16 by Out-File, gzip'd.
            var events = File.ReadLines(DemoInputsTests.Lsass).Select(l => JsonDocument.Parse(l).RootElement.Clone()).ToList();
            var text = JsonSerializer.Serialize(events, new JsonSerializerOptions { WriteIndented = true }).ReplaceLineEndings("\r\n");
            var input = Path.Combine(dir, "lsass-export.json.gz");
            await using (var file = File.Create(input))
            await using (var gzip = new GZipStream(file, CompressionLevel.Fastest))
            {
                gzip.Write([.. Encoding.Unicode.GetPreamble(), .. Encoding.Unicode.GetBytes(text)]);
            }

            var run = await DemoAsync(dir, [input],
                [CorpusRule("proc_creation_win_rundll32_process_dump_via_comsvcs"), CorpusRule("proc_access_win_lsass_dump_comsvcs_dll")]);

            AssertEverythingIndexed(run.Summary, 184);
            Assert.Equal(184, run.Summary.GetProperty("lines_read").GetInt64());
            var fired = run.Alerts.Select(a => a.GetProperty("title").GetString()).Distinct().Order(StringComparer.Ordinal).ToList();
            Assert.Contains("Process Memory Dump Via Comsvcs.DLL", fired);
            Assert.Contains("Lsass Memory Dump via Comsvcs DLL", fired);
            var dump = run.Alerts.First(a => a.GetProperty("title").GetString() == "Process Memory Dump Via Comsvcs.DLL");
            Assert.Equal("WORKSTATION5", dump.GetProperty("fields").GetProperty("host.name").GetString());
            Assert.Contains("gzip, UTF-16, JSON documents (184) one per line: shipping the converted copy", run.Errors, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public async Task A_directory_of_sigma_regression_cases_raises_the_rule_named_in_every_case_s_info_yml()
    {
        var dir = Directory.CreateTempSubdirectory("siem-demo-real-").FullName;
        try
        {
            // 130 cases: pretty-printed nested Windows event JSON (Event.System/EventData), one Cisco .raw, info.yml next to them.
            var regression = Path.Combine(TestData, "sigma", "regression");
            var rulesById = Directory.EnumerateFiles(Path.Combine(TestData, "sigma", "rules"), "*.yml", SearchOption.AllDirectories)
                .Select(f => (File: f, Id: File.ReadLines(f).Take(5).FirstOrDefault(l => l.StartsWith("id: ", StringComparison.Ordinal))?[4..].Trim()))
                .Where(r => r.Id != null).ToDictionary(r => r.Id!, r => r.File, StringComparer.Ordinal);
            var cases = Directory.GetFiles(regression, "info.yml", SearchOption.AllDirectories)
                .Select(info => (Case: Path.GetFileName(Path.GetDirectoryName(info))!, RuleId: RuleIdOf(info))).ToList();
            Assert.Equal(130, cases.Count);

            var run = await DemoAsync(dir, [regression], [.. cases.Select(c => rulesById[c.RuleId]).Distinct()]);

            AssertEverythingIndexed(run.Summary, 160);
            var fired = run.Alerts.Select(a => a.GetProperty("rule_id").GetString()).ToHashSet(StringComparer.Ordinal);
            Assert.Empty(cases.Where(c => !fired.Contains(c.RuleId)).Select(c => c.Case));
            Assert.Contains($"demo: skipped 130 files that are not logs (.yml) under {Path.GetFullPath(regression)}", run.Errors, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static string RuleIdOf(string infoYml)
    {
        var lines = File.ReadAllLines(infoYml);
        var meta = Array.FindIndex(lines, l => l.StartsWith("rule_metadata:", StringComparison.Ordinal));
        return lines.Skip(meta).First(l => l.TrimStart().StartsWith("- id:", StringComparison.Ordinal)).Split(':', 2)[1].Trim();
    }
}
