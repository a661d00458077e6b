namespace Siem.Host.Demo;

/// <summary>Finds the bundled content (rules/packs, deploy/samples) from the current directory or the host's location.</summary>
internal static class DemoPaths
{
    public static string? RepoRoot()
    {
        foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir != null; dir = dir.Parent)
            {
                if (Directory.Exists(Path.Combine(dir.FullName, "rules", "packs")) && Directory.Exists(Path.Combine(dir.FullName, "deploy")))
                    return dir.FullName;
            }
        }
        return null;
    }

    /// <summary>The sample logs: deploy/samples/*.log.</summary>
    public static IReadOnlyList<string> Samples(string? root) =>
        root == null || !Directory.Exists(Path.Combine(root, "deploy", "samples"))
            ? []
            : [.. Directory.GetFiles(Path.Combine(root, "deploy", "samples"), "*.log").Order(StringComparer.Ordinal)];

    /// <summary>Our pack: the rule files under rules/packs, except the field-mapping pipelines and the rules' test cases (*.tests.yml).</summary>
    public static IReadOnlyList<string> PackFiles(string? root) =>
        root == null
            ? []
            : [.. Directory.GetDirectories(Path.Combine(root, "rules", "packs"))
                .Where(d => !string.Equals(Path.GetFileName(d), "pipelines", StringComparison.Ordinal))
                .SelectMany(d => Directory.GetFiles(d, "*.yml", SearchOption.AllDirectories))
                .Where(f => !f.EndsWith(".tests.yml", StringComparison.Ordinal))
                .Order(StringComparer.Ordinal)];

    public static string? DefaultPipeline(string? root)
    {
        if (root == null) return null;
        var path = Path.Combine(root, "rules", "packs", "pipelines", "default.yml");
        return File.Exists(path) ? path : null;
    }
}
