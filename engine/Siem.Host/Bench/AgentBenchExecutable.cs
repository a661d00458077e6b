using System.Diagnostics;
using System.Runtime.InteropServices;
using Siem.Host.Demo;

namespace Siem.Host.Bench;

/// <summary>
/// Which agent <c>siem bench agent</c> measures by default: the Native AOT <c>siem-agent</c> that deploy/build-agent.sh
/// publishes, i.e. the agent as deployed. The JIT siem-agent.dll cannot meet the 60 MB target: it is at ~64 MiB
/// resident before it reads a line (runtime, JIT and the mapped framework assemblies). A missing AOT binary, or one
/// older than the agent's sources, is (re)built first.
/// </summary>
internal static class AgentBenchExecutable
{
    /// <summary>Path of an up-to-date AOT agent, building it when needed (build output goes to <paramref name="log"/>).</summary>
    public static async Task<string> EnsureAotAsync(TextWriter log, CancellationToken cancellationToken)
    {
        var root = DemoPaths.RepoRoot() ?? throw new InvalidOperationException("the repository (deploy/build-agent.sh) was not found above the current or the siem directory; run from the repository or give --agent PATH or --jit");
        var rid = $"linux-{RuntimeInformation.OSArchitecture.ToString().ToLowerInvariant()}";
        var binary = Path.Combine(root, "artifacts", "agent", rid, "siem-agent");
        var stale = File.Exists(binary) ? NewerSource(root, File.GetLastWriteTimeUtc(binary)) : "it does not exist yet";
        if (stale is null) return binary;
        await log.WriteLineAsync($"bench agent: building the Native AOT agent {binary} with deploy/build-agent.sh ({stale}); this takes a few minutes. --jit measures the built siem-agent.dll instead.").ConfigureAwait(false);
        var psi = new ProcessStartInfo("bash") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add(Path.Combine(root, "deploy", "build-agent.sh"));
        psi.ArgumentList.Add(rid);
        using var build = Process.Start(psi) ?? throw new InvalidOperationException("bash could not be started");
        var stdout = build.StandardOutput.ReadToEndAsync(cancellationToken);
        var stderr = build.StandardError.ReadToEndAsync(cancellationToken);
        try
        {
            await build.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            build.Kill(entireProcessTree: true);
            throw;
        }
        await log.WriteAsync(await stdout.ConfigureAwait(false) + await stderr.ConfigureAwait(false)).ConfigureAwait(false);
        if (build.ExitCode != 0 || !File.Exists(binary))
            throw new InvalidOperationException($"deploy/build-agent.sh {rid} failed (exit {build.ExitCode}); see its output above");
        return binary;
    }

    /// <summary>The first agent source (collectors/, core/, the shared build props) newer than the binary, or null.</summary>
    private static string? NewerSource(string root, DateTime builtUtc)
    {
        string[] extensions = [".cs", ".csproj", ".props", ".xml"];
        var files = new[] { "collectors", "core" }
            .Select(d => Path.Combine(root, d))
            .Where(Directory.Exists)
            .SelectMany(d => Directory.EnumerateFiles(d, "*", SearchOption.AllDirectories))
            .Where(f => extensions.Contains(Path.GetExtension(f), StringComparer.Ordinal) && !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .Concat([Path.Combine(root, "Directory.Build.props"), Path.Combine(root, "Directory.Packages.props")]);
        var newer = files.FirstOrDefault(f => File.Exists(f) && File.GetLastWriteTimeUtc(f) > builtUtc);
        return newer is null ? null : $"{Path.GetRelativePath(root, newer)} is newer";
    }
}
