using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.RegularExpressions;
using Siem.Testing;

namespace Siem.Api.Tests;

/// <summary>The acceptance check of the console issue, on the real executable: <c>siem demo --http 127.0.0.1:PORT</c>.</summary>
public sealed partial class DemoConsoleAcceptanceTests
{
    [GeneratedRegex(@"console at (http://\S+/)")]
    private static partial Regex UrlLine();

    [GeneratedRegex(@"one-time admin token \(valid 12 h, not shown again\): (siem_\S+)")]
    private static partial Regex TokenLine();

    [Fact]
    public async Task Siem_demo_with_http_serves_the_console_at_the_root_and_answers_an_anonymous_alert_list_with_401()
    {
        await using var nats = await NatsServer.StartAsync();
        var dir = Directory.CreateTempSubdirectory("siem-demo-http-").FullName;
        int port = NatsServer.FreePort();
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = RepoPaths.Root };
        foreach (var a in new[] { Path.Combine(AppContext.BaseDirectory, "siem.dll"), "demo", "--http", $"127.0.0.1:{port}", "--nats", nats.Url, "--data", Path.Combine(dir, "data") })
            psi.ArgumentList.Add(a);
        using var demo = Process.Start(psi)!;
        var stderr = new StringBuilder();
        var urlSeen = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        demo.ErrorDataReceived += (_, e) =>
        {
            if (e.Data == null) return;
            lock (stderr) stderr.AppendLine(e.Data);
            if (UrlLine().Match(e.Data) is { Success: true } m) urlSeen.TrySetResult(m.Groups[1].Value);
        };
        demo.OutputDataReceived += (_, _) => { };
        demo.BeginErrorReadLine();
        demo.BeginOutputReadLine();
        try
        {
            // The demo compiles the SigmaHQ corpus and our pack before it listens: seconds on a quiet machine, more than a
            // minute on a loaded 2-core one (it once took over 60 s at load 45), so the wait is generous but bounded.
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(180));
            string url = await urlSeen.Task.WaitAsync(timeout.Token);
            using var http = new HttpClient { BaseAddress = new Uri(url) };

            using var page = await http.GetAsync("/", timeout.Token);
            using var alerts = await http.GetAsync("/api/alerts", timeout.Token);
            string token;
            lock (stderr) token = TokenLine().Match(stderr.ToString()).Groups[1].Value;
            using var signedIn = new HttpRequestMessage(HttpMethod.Get, "/api/alerts") { Headers = { { "Authorization", "Bearer " + token } } };
            using var withToken = await http.SendAsync(signedIn, timeout.Token);
            using var metricsRequest = new HttpRequestMessage(HttpMethod.Get, "/api/metrics") { Headers = { { "Authorization", "Bearer " + token } } };
            using var metrics = await http.SendAsync(metricsRequest, timeout.Token);
            using var metricsBody = System.Text.Json.JsonDocument.Parse(await metrics.Content.ReadAsStringAsync(timeout.Token));

            Assert.Equal($"http://127.0.0.1:{port}/", url);
            Assert.Equal(HttpStatusCode.OK, page.StatusCode);
            Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);
            Assert.Contains("<title>Siem console</title>", await page.Content.ReadAsStringAsync(timeout.Token), StringComparison.Ordinal);
            Assert.Equal(HttpStatusCode.Unauthorized, alerts.StatusCode);
            Assert.Equal(HttpStatusCode.OK, withToken.StatusCode);
            // The status page shows the demo process's own OpenTelemetry instruments, as `siem serve` exports them.
            var process = Assert.Single(metricsBody.RootElement.GetProperty("processes").EnumerateArray());
            Assert.Equal("demo", process.GetProperty("instance").GetString());
            var instruments = process.GetProperty("metrics").EnumerateArray().Select(m => m.GetProperty("name").GetString()).ToHashSet();
            Assert.Superset(new HashSet<string?> { "siem.engine.messages_received", "siem.engine.events_indexed", "siem.engine.alerts_raised" }, instruments);
            // The token is stored only as a hash.
            Assert.DoesNotContain(token, await File.ReadAllTextAsync(Path.Combine(dir, "data", "api", "tokens.json"), timeout.Token), StringComparison.Ordinal);
        }
        finally
        {
            await StopAsync(demo);
            Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>SIGTERM (the demo stops its engine and console), then kill -9 by PID if it has not exited in 20 s.</summary>
    internal static async Task StopAsync(Process process)
    {
        if (process.HasExited) return;
        using (var kill = Process.Start("kill", ["-TERM", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])) await kill.WaitForExitAsync();
        using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        try
        {
            await process.WaitForExitAsync(wait.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill();
        }
    }
}
