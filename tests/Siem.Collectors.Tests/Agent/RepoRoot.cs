using System.Runtime.CompilerServices;

namespace Siem.Collectors.Tests;

/// <summary>The repository root, found from this source file's compile-time path (test binaries live outside the tree).</summary>
internal static class RepoRoot
{
    public static string Path { get; } = Find();

    private static string Find([CallerFilePath] string file = "")
    {
        var dir = new DirectoryInfo(System.IO.Path.GetDirectoryName(file)!);
        while (dir != null && !File.Exists(System.IO.Path.Combine(dir.FullName, "Siem.sln"))) dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException($"no Siem.sln above {file}");
    }
}
