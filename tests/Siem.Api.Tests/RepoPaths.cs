namespace Siem.Api.Tests;

/// <summary>The repository's bundled content: sample logs and the rule pack.</summary>
internal static class RepoPaths
{
    public static string Root { get; } = FindRoot();

    public static string AuthLog => Path.Combine(Root, "deploy", "samples", "auth.log");

    public static string AuditLog => Path.Combine(Root, "deploy", "samples", "audit.log");

    public static string Packs => Path.Combine(Root, "rules", "packs");

    public static string Pipeline => Path.Combine(Root, "rules", "packs", "pipelines", "default.yml");

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir != null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Siem.sln"))) return dir.FullName;
        }
        throw new InvalidOperationException("cannot find the repository root (Siem.sln) above " + AppContext.BaseDirectory);
    }
}
