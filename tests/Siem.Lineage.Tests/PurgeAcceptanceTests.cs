using System.Diagnostics;
using System.Text;
using System.Text.Json;

namespace Siem.Lineage.Tests;

/// <summary>The acceptance, through the `siem` host: demo --once, purge one address, prove it is gone everywhere.</summary>
public sealed class PurgeAcceptanceTests : IDisposable
{
    private const string Purged = "203.0.113.45", Kept = "192.0.2.77";
    private readonly string _data = Directory.CreateTempSubdirectory("siem-accept-").FullName;

    public void Dispose() => Directory.Delete(_data, recursive: true);

    [Fact]
    public async Task After_demo_once_a_purge_of_source_ip_is_verified_and_no_file_holds_the_address()
    {
        var input = Path.Combine(RepoRoot(), "deploy", "samples", "auth.log");
        Assert.Contains(Purged, File.ReadAllText(input), StringComparison.Ordinal);

        var demo = await SiemAsync("demo", "--once", "--input", input, "--data", _data);
        Assert.True(demo.Exit == 0, demo.Stderr);
        Assert.Contains(Purged, (await SiemAsync("search", "--data", _data, $"\"{Purged}\"", "--json")).Stdout, StringComparison.Ordinal);

        var purge = await SiemAsync("purge", "--data", _data, "--subject", $"source.ip={Purged}", "--requested-by", "dpo", "--reason", "acceptance", "--json");

        Assert.True(purge.Exit == 0, purge.Stderr + purge.Stdout);
        using var cert = JsonDocument.Parse(purge.Stdout);
        Assert.True(cert.RootElement.GetProperty("verified").GetBoolean());
        Assert.DoesNotContain(Purged, purge.Stdout, StringComparison.Ordinal);
        Assert.True(cert.RootElement.GetProperty("stores").EnumerateArray().Single(s => s.GetProperty("store").GetString() == "index").GetProperty("deleted").GetInt64() > 0);
        Assert.Equal("", (await SiemAsync("search", "--data", _data, $"\"{Purged}\"", "--json")).Stdout.Trim());
        Assert.Contains(Kept, (await SiemAsync("search", "--data", _data, $"source.ip:{Kept}", "--json")).Stdout, StringComparison.Ordinal);
        var needle = Encoding.UTF8.GetBytes(Purged);
        foreach (var file in Directory.EnumerateFiles(_data, "*", SearchOption.AllDirectories))
            Assert.False(File.ReadAllBytes(file).AsSpan().IndexOf(needle) >= 0, $"{file} still holds {Purged}");

        var certPath = Directory.GetFiles(Path.Combine(_data, "purge"), "*.certificate.json").Single();
        var verify = await SiemAsync("purge", "verify", certPath, "--data", _data, "--subject", $"source.ip={Purged}", "--json");
        Assert.True(verify.Exit == 0, verify.Stderr + verify.Stdout);
        Assert.Contains("\"verified\":true", verify.Stdout, StringComparison.Ordinal);
        var tampered = Path.Combine(_data, "tampered.json");
        File.WriteAllText(tampered, File.ReadAllText(certPath).Replace("\"acceptance\"", "\"something else\"", StringComparison.Ordinal));
        Assert.Equal(1, (await SiemAsync("purge", "verify", tampered, "--data", _data)).Exit);
        Assert.Equal(0, (await SiemAsync("audit", "verify", "--data", _data)).Exit);
        var audit = Path.Combine(_data, "audit", "audit.jsonl");
        var lines = File.ReadAllLines(audit);
        lines[1] = lines[1].Replace("\"policy\"", "\"someone\"", StringComparison.Ordinal);
        File.WriteAllLines(audit, lines);
        var broken = await SiemAsync("audit", "verify", "--data", _data);
        Assert.Equal(1, broken.Exit);
        Assert.Contains("audit.jsonl:2", broken.Stderr, StringComparison.Ordinal);
    }

    private static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir != null; dir = dir.Parent)
        {
            if (Directory.Exists(Path.Combine(dir.FullName, "deploy", "samples"))) return dir.FullName;
        }
        throw new DirectoryNotFoundException("repository root (deploy/samples) not found above " + AppContext.BaseDirectory);
    }

    private static async Task<(int Exit, string Stdout, string Stderr)> SiemAsync(params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "siem.dll"));
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        var stdout = p.StandardOutput.ReadToEndAsync(cts.Token);
        var stderr = p.StandardError.ReadToEndAsync(cts.Token);
        try
        {
            await p.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            p.Kill(entireProcessTree: true);
            throw;
        }
        return (p.ExitCode, await stdout, await stderr);
    }
}
