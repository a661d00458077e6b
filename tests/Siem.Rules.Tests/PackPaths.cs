using System.Runtime.CompilerServices;

namespace Siem.Rules.Tests;

/// <summary>Where the repository, our rule pack and the shared test data are, found from the test binary.</summary>
internal static class PackPaths
{
    public static string RepoRoot { get; } = FindRoot();

    public static string TestData => Path.GetFullPath(Path.Combine(RepoRoot, "..", "shared", "testdata"));

    public static string Pack => Path.Combine(RepoRoot, "rules", "packs");

    public static string DefaultPipeline => Path.Combine(Pack, "pipelines", "default.yml");

    private static string FindRoot()
    {
        // The source path baked in at compile time works wherever the binaries were put (SIEM_ARTIFACTS).
        foreach (var start in new[] { Path.GetDirectoryName(SourceFile())!, AppContext.BaseDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "Siem.sln")))
                {
                    return dir.FullName;
                }
            }
        }
        for (var dir = new DirectoryInfo(Directory.GetCurrentDirectory()); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Siem.sln")))
            {
                return dir.FullName;
            }
        }
        throw new InvalidOperationException("cannot find the repository root (Siem.sln) from the test binary or working directory");
    }

    private static string SourceFile([CallerFilePath] string path = "") => path;
}
