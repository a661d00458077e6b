using System.Diagnostics;
using System.Text.Json;
using Siem.Collectors.Agent;

namespace Siem.Collectors.Tests.Agent;

/// <summary>The real <c>siem-agent</c> executable: <c>run</c> as a child process killed by PID, and one-shot commands such as <c>status</c>.
/// By default the built siem-agent.dll under <c>dotnet</c>; with <c>SIEM_AGENT_EXE</c> set (./test.sh does, after
/// deploy/build-agent.sh) the same tests run the published Native AOT executable instead.</summary>
internal static class AgentProcess
{
    /// <summary>The published agent executable to test instead of the dll, or null.</summary>
    public static string? Executable =>
        Environment.GetEnvironmentVariable("SIEM_AGENT_EXE") is { Length: > 0 } exe
            ? File.Exists(exe) ? Path.GetFullPath(exe) : throw new FileNotFoundException($"SIEM_AGENT_EXE={exe}: no such file (build it with deploy/build-agent.sh)")
            : null;

    /// <summary>Start info for <c>siem-agent ARGS</c>: the executable itself, or <c>dotnet siem-agent.dll</c>.</summary>
    public static ProcessStartInfo StartInfo(IEnumerable<string> args)
    {
        var exe = Executable;
        var psi = new ProcessStartInfo(exe ?? "dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        if (exe is null) psi.ArgumentList.Add(Dll());
        foreach (var a in args) psi.ArgumentList.Add(a);
        return psi;
    }

    public static string Dll()
    {
        var candidates = new[]
        {
            Path.Combine(AppContext.BaseDirectory, "siem-agent.dll"),
            Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "..", "..", "Siem.Agent", "release", "siem-agent.dll")),
            Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "..", "..", "Siem.Agent", "debug", "siem-agent.dll")),
        };
        return candidates.FirstOrDefault(File.Exists) ?? throw new FileNotFoundException($"siem-agent.dll not found (looked in {string.Join(", ", candidates)}); build collectors/Siem.Agent");
    }

    /// <summary><c>siem-agent run --config FILE</c>; its stdout and stderr lines go to <paramref name="output"/>.</summary>
    public static Process Start(string config, List<string> output, IReadOnlyDictionary<string, string>? environment = null)
    {
        var psi = StartInfo(["run", "--config", config]);
        foreach (var (name, value) in environment ?? new Dictionary<string, string>()) psi.Environment[name] = value;
        var p = new Process { StartInfo = psi };
        p.OutputDataReceived += (_, e) => { if (e.Data != null) lock (output) output.Add(e.Data); };
        p.ErrorDataReceived += (_, e) => { if (e.Data != null) lock (output) output.Add(e.Data); };
        p.Start();
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        return p;
    }

    /// <summary>Runs a one-shot <c>siem-agent</c> command to its end (killed by PID after 30 s so a hang fails the test).</summary>
    public static async Task<(int ExitCode, string Stdout, string Stderr)> RunAsync(params string[] args)
    {
        using var p = Process.Start(StartInfo(args))!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        try
        {
            await p.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            p.Kill();
            throw new TimeoutException($"siem-agent {string.Join(' ', args)} did not finish within 30 s");
        }
        return (p.ExitCode, await stdout, await stderr);
    }

    /// <summary>Kills the child by its PID (SIGKILL) if it still runs.</summary>
    public static void Kill(Process agent)
    {
        if (agent.HasExited) return;
        agent.Kill();
        agent.WaitForExit(10_000);
    }

    /// <summary>The status file the agent rewrites, or null while it is missing or being replaced.</summary>
    public static AgentStatus? Status(string stateDir)
    {
        try
        {
            return AgentStatus.Load(stateDir);
        }
        catch (Exception e) when (e is IOException or JsonException or InvalidDataException)
        {
            return null;
        }
    }

    /// <summary>A config tailing the kit's log file, with the kit's broker and state dir; <paramref name="extraYaml"/> adds top-level sections.</summary>
    public static string WriteConfig(AgentTestKit kit, int maxRecords = 100, int maxBatchBytes = 524_288, string extraYaml = "")
    {
        var config = Path.Combine(kit.Dir, "agent.yml");
        File.WriteAllText(config, $"""
            agent:
              state_dir: {kit.StateDir}
            servers:
              urls: [{kit.Server.Url}]
            sources:
              - type: file
                name: auth
                paths: [{kit.LogPath}]
            batch:
              max_records: {maxRecords}
              max_bytes: {maxBatchBytes}
              linger_ms: 20
            status_interval_ms: 50
            {extraYaml}
            """);
        return config;
    }
}
