using System.Diagnostics;

namespace Siem.Engine.Tests;

/// <summary>`siem search --es URL` queries Elasticsearch/OpenSearch instead of the SQLite index (a real child process against an in-test peer).</summary>
public sealed class SearchCommandTests
{
    [Fact]
    public async Task Search_with_es_sends_the_translated_query_to_the_node_and_prints_its_hits_as_json_lines()
    {
        using var peer = new ElasticsearchPeer((r, _) => (200, "{\"took\":1,\"timed_out\":false,\"hits\":{\"total\":{\"value\":1,\"relation\":\"eq\"},\"hits\":["
            + "{\"_index\":\"siem-alerts\",\"_id\":\"al-1\",\"_source\":" + ElasticsearchIndexSinkTests.AlertSource() + "}]}}"));

        var (exit, stdout, stderr) = await RunSiemAsync(["search", "--es", peer.Url.ToString(), "--json", "--limit", "5", "user.name:root"]);

        Assert.True(exit == 0, stderr);
        var request = Assert.Single(peer.Requests);
        Assert.Equal("/siem-events-*,siem-alerts/_search", request.Path);
        Assert.StartsWith("{\"size\":5,", request.Body, StringComparison.Ordinal);
        Assert.Contains("{\"term\":{\"user.name\":{\"value\":\"root\",\"case_insensitive\":true}}}", request.Body, StringComparison.Ordinal);
        var line = Assert.Single(stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains("\"al-1\"", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Search_with_an_es_node_that_fails_exits_one_with_the_status_and_no_secret()
    {
        using var peer = new ElasticsearchPeer((_, _) => (401, "{\"error\":\"unauthorized\",\"status\":401}"));
        var (exit, _, stderr) = await RunSiemAsync(["search", "--es", peer.Url.ToString(), "*"], ("SIEM_ES_PASSWORD", "pa55word"), ("SIEM_ES_USERNAME", "siem"));

        Assert.Equal(1, exit);
        Assert.Contains("HTTP 401", stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("pa55word", stderr, StringComparison.Ordinal);
    }

    internal static async Task<(int Exit, string Stdout, string Stderr)> RunSiemAsync(string[] args, params (string Name, string Value)[] env)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "siem.dll"));
        foreach (var a in args) psi.ArgumentList.Add(a);
        foreach (var (n, v) in env) psi.Environment[n] = v;
        using var p = Process.Start(psi)!;
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var stdout = p.StandardOutput.ReadToEndAsync(cts.Token);
        var stderr = p.StandardError.ReadToEndAsync(cts.Token);
        await p.WaitForExitAsync(cts.Token);
        return (p.ExitCode, await stdout, await stderr);
    }
}
