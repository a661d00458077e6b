using System.Diagnostics;

namespace Siem.Engine.Tests;

/// <summary>Every documented `siem` command parses and prints its help: a broken registration fails here, not in front of a user.</summary>
public sealed class CommandLineTests
{
    public static TheoryData<string> Commands => new()
    {
        "demo", "search", "scan", "rules", "rules validate", "rules test", "rules replay",
        "bench", "bench transport", "bench agent", "bench rules", "bench pipeline", "serve", "lineage", "lineage show",
    };

    [Theory]
    [MemberData(nameof(Commands))]
    public async Task Command_prints_its_help_and_exits_zero(string command)
    {
        var (exit, stdout, stderr) = await RunSiemAsync([.. command.Split(' '), "--help"]);

        Assert.True(exit == 0, $"siem {command} --help exited {exit}: {stderr}");
        Assert.Contains("Usage:", stdout, StringComparison.Ordinal);
        Assert.Contains(command, stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unknown_command_is_an_error_that_names_it()
    {
        var (exit, _, stderr) = await RunSiemAsync(["frobnicate"]);

        Assert.NotEqual(0, exit);
        Assert.Contains("frobnicate", stderr, StringComparison.Ordinal);
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
