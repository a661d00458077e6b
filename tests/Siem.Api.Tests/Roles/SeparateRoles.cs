using System.Diagnostics;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using NodaTime;
using Siem.Core.Envelope;
using Siem.Core.Events;
using Siem.Core.Security;
using Siem.Engine.Pipeline;
using Siem.Nats;
using Siem.Nats.JetStream;
using Siem.Testing;

namespace Siem.Api.Tests.Roles;

/// <summary>
/// A deployment split as an operator would split it: one real nats-server, one <c>siem serve --roles engine,lineage</c>
/// process (or an engine and a lineage process) and one <c>siem serve --roles api</c> process, sharing nothing but NATS
/// and the data dir. An enrolled agent's
/// key (as enrollment leaves it) lets the test seal and publish batches like a real agent.
/// </summary>
internal sealed class SeparateRoles : IAsyncDisposable
{
    public const string Tenant = "t1";
    private readonly List<(string Name, Process Process, StringBuilder Log)> _processes = [];
    private ulong _batchSeq;
    private int _recordsPublished;

    private SeparateRoles(string dir, NatsServer nats, NatsConnection client, EnvelopeSealer sealer, string agentId, int port)
    {
        AgentId = agentId;
        Dir = dir;
        Nats = nats;
        Client = client;
        JetStream = new NatsJSContext(client);
        Sealer = sealer;
        Http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/") };
    }

    public string Dir { get; }
    public string DataDir => Path.Combine(Dir, "data");
    public NatsServer Nats { get; }
    public NatsConnection Client { get; }
    public NatsJSContext JetStream { get; }
    public EnvelopeSealer Sealer { get; }
    public HttpClient Http { get; }
    public string AgentId { get; }
    public CancellationTokenSource Timeout { get; } = new(TimeSpan.FromSeconds(120));

    /// <summary>Starts the processes and waits until the engine consumes and the API listens.</summary>
    /// <param name="rulesYaml">Rules both roles load as a read-only pack (<c>rules.dirs</c>); none when null.</param>
    /// <param name="lineageApart">Three processes, as the systemd units run them: <c>--roles engine</c> (with
    /// <c>engine.report_lineage: true</c>), <c>--roles lineage</c> and <c>--roles api</c>.</param>
    public static async Task<SeparateRoles> StartAsync(string? rulesYaml = null, bool lineageApart = false)
    {
        var nats = await NatsServer.StartAsync();
        var dir = Directory.CreateTempSubdirectory("siem-roles-").FullName;
        var data = Path.Combine(dir, "data");
        Directory.CreateDirectory(Path.Combine(data, "engine"));
        var key = EngineKeyPair.Create();
        key.Save(Path.Combine(data, "engine", "engine-key.json"));
        var agent = AgentIdentity.Create("agent-1");
        new AgentRegistry(Path.Combine(data, "engine", "agents.json")).Register(agent.AgentId, agent.SigningPublicKey, Tenant);
        int port = NatsServer.FreePort();
        if (rulesYaml != null) await File.WriteAllTextAsync(Path.Combine(dir, "pack.yml"), rulesYaml);
        var common = $"server:\n  data_dir: data\nnats:\n  urls: [{nats.Url}]\nrules:\n  include_pack: false\n{(rulesYaml != null ? "  dirs: [pack.yml]\n" : "")}";
        await File.WriteAllTextAsync(Path.Combine(dir, "engine.yml"), common + "engine:\n  batch_size: 4\n  ack_wait_ms: 3000\n" + (lineageApart ? "  report_lineage: true\n" : ""));
        await File.WriteAllTextAsync(Path.Combine(dir, "api.yml"), common + $"api:\n  listen: 127.0.0.1:{port}\n");
        var client = new NatsConnection(NatsOpts.Default with { Servers = [nats.Url] });
        await client.ConnectAsync();
        var roles = new SeparateRoles(dir, nats, client, new EnvelopeSealer(agent, key.AgreementPublicKey, key.KeyId), agent.AgentId, port);
        try
        {
            if (lineageApart)
            {
                await roles.StartProcessAsync("lineage", "engine.yml", "lineage: storing hops of");
                await roles.StartProcessAsync("engine", "engine.yml", "engine: consuming");
            }
            else
            {
                await roles.StartProcessAsync("engine,lineage", "engine.yml", "engine: consuming");
            }
            await roles.StartProcessAsync("api", "api.yml", "api: console and API at");
        }
        catch
        {
            await roles.DisposeAsync();
            throw;
        }
        return roles;
    }

    private async Task StartProcessAsync(string roles, string config, string readyLine)
    {
        var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var log = new StringBuilder();
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = Dir };
        foreach (var a in (string[])[Path.Combine(AppContext.BaseDirectory, "siem.dll"), "serve", "--config", Path.Combine(Dir, config), "--roles", roles])
            psi.ArgumentList.Add(a);
        var p = new Process { StartInfo = psi };
        p.ErrorDataReceived += (_, e) =>
        {
            if (e.Data == null) return;
            lock (log) log.AppendLine(e.Data);
            if (e.Data.Contains(readyLine, StringComparison.Ordinal)) ready.TrySetResult();
        };
        p.OutputDataReceived += (_, _) => { };
        p.Start();
        p.BeginErrorReadLine();
        p.BeginOutputReadLine();
        _processes.Add((roles, p, log));
        using var wait = CancellationTokenSource.CreateLinkedTokenSource(Timeout.Token);
        wait.CancelAfter(TimeSpan.FromSeconds(60));
        while (!ready.Task.IsCompleted)
        {
            if (p.HasExited) throw new InvalidOperationException($"siem serve --roles {roles} exited:\n{Logs()}");
            await Task.WhenAny(ready.Task, Task.Delay(100, wait.Token));
        }
    }

    /// <summary>What every process wrote to stderr, for failure messages.</summary>
    public string Logs()
    {
        var sb = new StringBuilder();
        foreach (var (name, _, log) in _processes)
            lock (log) sb.Append("--- siem serve --roles ").AppendLine(name).Append(log);
        return sb.ToString();
    }

    /// <summary>Seals records as the agent would and publishes them on its subject (one batch, next sequence), a second apart.</summary>
    public async Task PublishAsync(params (string RecordId, string User, string Message)[] records)
    {
        var events = records.Select(r =>
        {
            var e = new LogEvent
            {
                RecordId = r.RecordId,
                AgentId = AgentId,
                Timestamp = Instant.FromUtc(2026, 11, 22, 3, 0) + Duration.FromSeconds(++_recordsPublished),
                Original = r.Message,
            };
            e.Set(EcsFields.Message, r.Message);
            e.Set(EcsFields.UserName, r.User);
            e.Set(EcsFields.HostName, "web1");
            return e;
        }).ToList();
        var env = Sealer.Seal(++_batchSeq, LogEventJson.EncodeBatch(events));
        var headers = new NatsHeaders();
        foreach (var (k, v) in env.Headers) headers.Add(k, v);
        await JetStream.PublishAsync($"siem.events.{Tenant}.{AgentId}", env.Body, headers, cancellationToken: Timeout.Token);
    }

    /// <summary>An API token made with <c>siem api-token create</c> against the shared data dir.</summary>
    public async Task<HttpClient> ClientAsync(string name, string role)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in (string[])[Path.Combine(AppContext.BaseDirectory, "siem.dll"), "api-token", "create", "--data", DataDir, "--name", name, "--role", role])
            psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync(Timeout.Token);
        var stderr = p.StandardError.ReadToEndAsync(Timeout.Token);
        await p.WaitForExitAsync(Timeout.Token);
        if (p.ExitCode != 0) throw new InvalidOperationException("siem api-token create failed: " + await stderr);
        var client = new HttpClient { BaseAddress = Http.BaseAddress };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", (await stdout).Trim());
        return client;
    }

    /// <summary>How many events the API's search finds for <paramref name="query"/>.</summary>
    public async Task<long> CountAsync(HttpClient client, string query)
    {
        var body = await client.GetFromJsonAsync<JsonElement>($"/api/search?q={Uri.EscapeDataString(query)}&kind=events", Timeout.Token);
        return body.GetProperty("total").GetInt64();
    }

    /// <summary>Polls until <paramref name="condition"/> holds; fails with every process's log instead of hanging.</summary>
    public async Task WaitUntilAsync(Func<Task<bool>> condition, string what)
    {
        while (!await condition())
        {
            if (_processes.FirstOrDefault(p => p.Process.HasExited) is { Process: not null } gone)
                throw new InvalidOperationException($"siem serve --roles {gone.Name} exited while waiting for {what}:\n{Logs()}");
            if (Timeout.IsCancellationRequested) throw new TimeoutException($"timed out waiting for {what}:\n{Logs()}");
            await Task.Delay(50, CancellationToken.None);
        }
    }

    /// <summary>Waits until a role's process wrote <paramref name="text"/> to its log <paramref name="times"/> times.</summary>
    public Task WaitForLogAsync(string roles, string text, int times = 1) => WaitUntilAsync(() =>
    {
        var (_, _, log) = _processes.First(p => p.Name == roles);
        string all;
        lock (log) all = log.ToString();
        int found = 0;
        for (int at = all.IndexOf(text, StringComparison.Ordinal); at >= 0; at = all.IndexOf(text, at + text.Length, StringComparison.Ordinal)) found++;
        return Task.FromResult(found >= times);
    }, $"'{text}' {times}x in the log of --roles {roles}");

    public async Task<ulong> QuarantinedAsync() => (await JetStream.GetStreamAsync(EngineStreams.Quarantine, Timeout.Token)).State.Messages;

    public async ValueTask DisposeAsync()
    {
        foreach (var (_, p, _) in _processes) await DemoConsoleAcceptanceTests.StopAsync(p);
        foreach (var (_, p, _) in _processes) p.Dispose();
        Http.Dispose();
        await Client.DisposeAsync();
        await Nats.DisposeAsync();
        Timeout.Dispose();
        try
        {
            Directory.Delete(Dir, recursive: true);
        }
        catch (IOException)
        {
            // A file still held open by a process being torn down; the temp dir is reclaimed by the OS.
        }
    }
}
