using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using Siem.Host.Demo;
using Siem.Testing;

namespace Siem.Api.Tests;

/// <summary>
/// The console in a real browser (Debian's headless chromium) against the whole platform in-process: the demo's
/// agent, a real nats-server, the engine, the index, the lineage ledger and the purge coordinator.
/// </summary>
public sealed partial class ConsoleBrowserTests
{
    private const string Chromium = "/usr/bin/chromium";

    [GeneratedRegex(@"console at (http://\S+/)")]
    private static partial Regex UrlLine();

    [GeneratedRegex(@"one-time admin token \(valid 12 h, not shown again\): (siem_\S+)")]
    private static partial Regex TokenLine();

    /// <summary>Where the screenshots go (kept after the run): the test output folder.</summary>
    public static string OutputDir => Path.Combine(AppContext.BaseDirectory, "TestResults", "console");

    [Fact]
    public async Task An_analyst_watches_an_alert_arrive_live_opens_its_lineage_and_a_compliance_officer_files_a_purge()
    {
        Assert.True(File.Exists(Chromium), $"{Chromium} is missing: install Debian's chromium (apt-get install -y chromium; test.sh does)");
        await using var nats = await NatsServer.StartAsync();
        var dir = Directory.CreateTempSubdirectory("siem-console-").FullName;
        var input = Path.Combine(dir, "auth.log");
        // A quiet start: a cron session, no attack yet.
        await File.WriteAllLinesAsync(input, [
            "Nov 22 00:17:00 web01 CRON[20069]: pam_unix(cron:session): session opened for user root(uid=0) by (uid=0)",
            "Nov 22 00:17:01 web01 CRON[20069]: pam_unix(cron:session): session closed for user root",
        ]);
        var stderr = new CapturedWriter();
        using var stopDemo = new CancellationTokenSource();
        var demo = Task.Run(() => DemoRunner.RunAsync(new DemoOptions
        {
            NatsUrl = nats.Url,
            Inputs = [input],
            DataDir = Path.Combine(dir, "data"),
            Http = "127.0.0.1:" + NatsServer.FreePort(),
        }, TextWriter.Null, stderr, stopDemo.Token));
        try
        {
            // The whole flow: ~20 s on a quiet machine; it ran out of 90 s once at load 38 (two test projects and builds),
            // so the bound is generous.
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(240));
            var (url, adminToken) = await WaitForConsoleAsync(stderr, demo, timeout.Token);

            using var playwright = await Playwright.CreateAsync();
            await using var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions { ExecutablePath = Chromium, Headless = true, Args = ["--no-sandbox"] });
            var page = await browser.NewPageAsync(new BrowserNewPageOptions { ViewportSize = new ViewportSize { Width = 1400, Height = 900 } });
            page.SetDefaultTimeout(30_000);

            // Sign in as the admin the demo printed, and wait for the live feed.
            await page.GotoAsync(url);
            await page.FillAsync("#token", adminToken);
            await page.ClickAsync("#signin-form button[type=submit]");
            await page.WaitForSelectorAsync("#live-state.on");
            Assert.Equal(0, await page.Locator("#alert-rows tr[data-alert-id]").CountAsync());

            // The attack: a sudo root shell and a new local account, appended to the file the agent tails.
            await File.AppendAllLinesAsync(input, [
                "Nov 22 02:47:48 web01 sudo:    alice : TTY=pts/1 ; PWD=/tmp ; USER=root ; COMMAND=/bin/bash",
                "Nov 22 02:48:53 web01 useradd[21128]: new user: name=sysupdate, UID=1005, GID=1005, home=/home/sysupdate, shell=/bin/bash, from=/dev/pts/1",
            ], timeout.Token);
            var row = page.Locator("#alert-rows tr[data-alert-id]", new PageLocatorOptions { HasText = "New Local User Created" });
            await row.WaitForAsync(new LocatorWaitForOptions { Timeout = 60_000 });
            await page.Locator("#alert-rows tr[data-alert-id]", new PageLocatorOptions { HasText = "Sudo To An Interactive Root Shell" }).WaitForAsync();
            Assert.Equal("medium", await row.Locator(".sev").InnerTextAsync());
            Directory.CreateDirectory(OutputDir);
            string screenshot = Path.Combine(OutputDir, "live-alert-list.png");
            await page.ScreenshotAsync(new PageScreenshotOptions { Path = screenshot, FullPage = true });
            Assert.True(new FileInfo(screenshot).Length > 10_000, "the screenshot of the live alert list is empty");

            // Its detail: the matched event, and the lineage from the file line to the index.
            await row.ClickAsync();
            await page.WaitForSelectorAsync("#alert-events pre:has-text('new user: name=sysupdate')");
            var path = page.Locator("#lineage .lineage-path").First;
            await path.WaitForAsync(new LocatorWaitForOptions { Timeout = 30_000 });
            string hops = await path.InnerTextAsync();
            Assert.Contains("file " + input, hops, StringComparison.Ordinal);
            Assert.Contains("agent demo-agent", hops, StringComparison.Ordinal);
            Assert.Contains("SIEM_EVENTS #", hops, StringComparison.Ordinal);
            Assert.Contains("sqlite", hops, StringComparison.Ordinal);
            await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(OutputDir, "alert-lineage.png"), FullPage = true });

            // A compliance officer (token made by the admin through the API) files a purge for the new account.
            using var http = new HttpClient { BaseAddress = new Uri(url) };
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", adminToken);
            var created = await (await http.PostAsJsonAsync("/api/tokens", new { name = "casey", role = "compliance" }, timeout.Token)).Content.ReadFromJsonAsync<JsonElement>(timeout.Token);
            await page.ClickAsync("#signout");
            await page.FillAsync("#token", created.GetProperty("secret").GetString()!);
            await page.ClickAsync("#signin-form button[type=submit]");
            await page.WaitForSelectorAsync("#purge-form");
            await page.SelectOptionAsync("#purge-field", "user.name");
            await page.FillAsync("#purge-value", "sysupdate");
            await page.FillAsync("#purge-reason", "erasure request ER-2026-114");
            await page.ClickAsync("#purge-submit");
            var job = page.Locator("#purge-rows tr[data-purge-id]", new PageLocatorOptions { HasText = "ER-2026-114" });
            await job.WaitForAsync();
            Assert.Equal("requested", await job.Locator(".purge-state").InnerTextAsync());
            await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(OutputDir, "purge-filed.png"), FullPage = true });

            // The status page: the process's OpenTelemetry instruments (what `siem serve` exports over OTLP), refreshed every 5 s.
            await page.ClickAsync("a[href='#/status']");
            var instruments = page.Locator(".process[data-instance='demo'] .process-metrics");
            await instruments.Locator("tr", new LocatorLocatorOptions { HasText = "siem.engine.alerts_raised" }).WaitForAsync();
            string shown = await instruments.InnerTextAsync();
            Assert.Contains("siem.engine.events_indexed", shown, StringComparison.Ordinal);
            Assert.Contains("siem.engine.messages_acked", shown, StringComparison.Ordinal);
            await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(OutputDir, "status.png"), FullPage = true });

            var purges = await http.GetFromJsonAsync<JsonElement>("/api/purges", timeout.Token);
            var filed = purges.GetProperty("purges").EnumerateArray().Single();
            Assert.Equal("casey", filed.GetProperty("requested_by").GetString());
            Assert.Equal("user.name", filed.GetProperty("subject_field").GetString());
            Assert.DoesNotContain("sysupdate", filed.ToString(), StringComparison.Ordinal);
        }
        catch (Exception ex) when (ex is not Xunit.Sdk.XunitException)
        {
            throw new InvalidOperationException("the console test failed; demo output:\n" + stderr, ex);
        }
        finally
        {
            await stopDemo.CancelAsync();
            await demo.WaitAsync(TimeSpan.FromSeconds(60));
            Directory.Delete(dir, recursive: true);
        }
    }

    private static async Task<(string Url, string Token)> WaitForConsoleAsync(TextWriter stderr, Task<int> demo, CancellationToken cancellationToken)
    {
        while (true)
        {
            string text = stderr.ToString()!;
            var url = UrlLine().Match(text);
            var token = TokenLine().Match(text);
            if (url.Success && token.Success) return (url.Groups[1].Value, token.Groups[1].Value);
            if (demo.IsCompleted) throw new InvalidOperationException($"the demo stopped (exit {await demo}) before serving the console:\n{text}");
            await Task.Delay(100, cancellationToken);
        }
    }
}
