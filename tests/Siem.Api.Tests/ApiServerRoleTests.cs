using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using NodaTime;
using Siem.Engine.Alerts;
using Siem.Nats;
using Siem.Testing;

namespace Siem.Api.Tests;

/// <summary><c>siem serve --roles api</c> and <c>siem api-token</c> as real processes against a real nats-server.</summary>
public sealed class ApiServerRoleTests
{
    [Fact]
    public async Task The_api_role_serves_the_console_takes_tokens_made_by_the_cli_and_streams_alerts_published_on_nats()
    {
        await using var nats = await NatsServer.StartAsync();
        var dir = Directory.CreateTempSubdirectory("siem-api-role-").FullName;
        int port = NatsServer.FreePort();
        var config = Path.Combine(dir, "siem.yml");
        await File.WriteAllTextAsync(config, $"server:\n  data_dir: data\n  roles: [api]\nnats:\n  urls: [{nats.Url}]\napi:\n  listen: 127.0.0.1:{port}\n  requests_per_minute: 100\n");
        var (exit, secret, tokenErr) = await RunSiemAsync(["api-token", "create", "--data", Path.Combine(dir, "data"), "--name", "night shift", "--role", "analyst"]);
        Assert.True(exit == 0, tokenErr);
        secret = secret.Trim();

        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var log = new StringBuilder();
        using var serve = StartSiem(["serve", "--config", config], line =>
        {
            lock (log) log.AppendLine(line);
            if (line.Contains($"api: console and API at http://127.0.0.1:{port}/", StringComparison.Ordinal)) started.TrySetResult();
        });
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            await started.Task.WaitAsync(timeout.Token);
            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/") };
            using var page = await http.GetAsync("/", timeout.Token);
            using var anonymous = await http.GetAsync("/api/alerts", timeout.Token);
            using var stream = new HttpRequestMessage(HttpMethod.Get, "/api/alerts/stream") { Headers = { Authorization = new AuthenticationHeaderValue("Bearer", secret) } };
            using var live = await http.SendAsync(stream, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
            using var reader = new StreamReader(await live.Content.ReadAsStreamAsync(timeout.Token));
            Assert.Equal(": connected", await reader.ReadLineAsync(timeout.Token));

            // An engine elsewhere publishes an alert; the browser watching gets it.
            await using var engine = new NatsConnection(NatsOpts.Default with { Servers = [nats.Url] });
            await engine.ConnectAsync(timeout.Token);
            var alert = new AlertDocument
            {
                AlertId = "a-remote-1",
                RuleId = "81e7a567-a87a-4a69-8c3a-cd004cd81081",
                Title = "SSH Brute Force From One Source",
                Level = "high",
                FirstSeen = Instant.FromUtc(2026, 11, 22, 2, 10),
                LastSeen = Instant.FromUtc(2026, 11, 22, 2, 12),
                Count = 1,
            };
            await engine.PublishAsync("siem.alerts.high", AlertJson.Serialize(alert), cancellationToken: timeout.Token);
            string? data = null;
            while (data == null)
            {
                var line = await reader.ReadLineAsync(timeout.Token) ?? throw new EndOfStreamException();
                if (line.StartsWith("data: ", StringComparison.Ordinal)) data = line[6..];
            }

            Assert.Equal(HttpStatusCode.OK, page.StatusCode);
            Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
            Assert.Equal(HttpStatusCode.OK, live.StatusCode);
            var received = JsonDocument.Parse(data).RootElement;
            Assert.Equal("a-remote-1", received.GetProperty("alert").GetProperty("alert_id").GetString());
            Assert.True(received.GetProperty("new").GetBoolean());
        }
        catch (Exception ex) when (ex is not Xunit.Sdk.XunitException)
        {
            lock (log) throw new InvalidOperationException("siem serve output:\n" + log, ex);
        }
        finally
        {
            await DemoConsoleAcceptanceTests.StopAsync(serve);
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public async Task Api_token_create_refuses_an_unknown_role_and_list_never_prints_secrets()
    {
        var dir = Directory.CreateTempSubdirectory("siem-api-token-").FullName;
        try
        {
            var (badExit, _, badErr) = await RunSiemAsync(["api-token", "create", "--data", dir, "--name", "x", "--role", "root"]);
            var (okExit, secret, _) = await RunSiemAsync(["api-token", "create", "--data", dir, "--name", "casey", "--role", "compliance", "--expires-hours", "8"]);
            var (_, listed, _) = await RunSiemAsync(["api-token", "list", "--data", dir]);

            Assert.Equal(2, badExit);
            Assert.Contains("unknown role 'root'", badErr, StringComparison.Ordinal);
            Assert.Equal(0, okExit);
            Assert.StartsWith("siem_", secret.Trim(), StringComparison.Ordinal);
            Assert.Contains("compliance", listed, StringComparison.Ordinal);
            Assert.Contains("casey", listed, StringComparison.Ordinal);
            Assert.DoesNotContain(secret.Trim(), listed, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static Process StartSiem(string[] args, Action<string> onStderr)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = RepoPaths.Root };
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "siem.dll"));
        foreach (var a in args) psi.ArgumentList.Add(a);
        var p = Process.Start(psi)!;
        p.ErrorDataReceived += (_, e) => { if (e.Data != null) onStderr(e.Data); };
        p.OutputDataReceived += (_, _) => { };
        p.BeginErrorReadLine();
        p.BeginOutputReadLine();
        return p;
    }

    private static async Task<(int Exit, string Stdout, string Stderr)> RunSiemAsync(string[] args)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "siem.dll"));
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var stdout = p.StandardOutput.ReadToEndAsync(cts.Token);
        var stderr = p.StandardError.ReadToEndAsync(cts.Token);
        await p.WaitForExitAsync(cts.Token);
        return (p.ExitCode, await stdout, await stderr);
    }
}
