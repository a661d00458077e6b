using Microsoft.Extensions.FileSystemGlobbing;

namespace Siem.Collectors.Sources.Internal;

/// <summary>
/// Expands absolute glob patterns with Microsoft.Extensions.FileSystemGlobbing. The library matches relative to a
/// root directory, so each pattern is split at its first segment with a wildcard: "/var/log/**/*.log" becomes
/// root "/var/log" + pattern "**/*.log".
/// </summary>
internal sealed class GlobSet
{
    private readonly List<(string Root, Matcher Matcher, bool Recursive)> _roots = [];

    public GlobSet(IReadOnlyList<string> include, IReadOnlyList<string> exclude)
    {
        if (include.Count == 0)
        {
            throw new ArgumentException("The file source needs at least one path pattern.", nameof(include));
        }

        var excludes = exclude.Select(Split).ToList();
        foreach (var group in include.Select(Split).GroupBy(p => p.Root, StringComparer.Ordinal))
        {
            var matcher = new Matcher(StringComparison.Ordinal);
            var recursive = false;
            foreach (var (_, relative) in group)
            {
                matcher.AddInclude(relative);
                recursive |= relative.Contains('/', StringComparison.Ordinal);
            }

            foreach (var (root, relative) in excludes)
            {
                var rel = Path.GetRelativePath(group.Key, Path.Combine(root, relative));
                if (!rel.StartsWith("..", StringComparison.Ordinal))
                {
                    matcher.AddExclude(rel);
                }
            }

            _roots.Add((group.Key, matcher, recursive));
        }
    }

    /// <summary>Root directories to watch for new files, and whether their subdirectories matter.</summary>
    public IEnumerable<(string Root, bool Recursive)> Roots => _roots.Select(r => (r.Root, r.Recursive));

    /// <summary>Full paths of the existing files that match, in a stable (ordinal) order.</summary>
    public List<string> Expand()
    {
        var files = new List<string>();
        foreach (var (root, matcher, _) in _roots)
        {
            if (Directory.Exists(root))
            {
                files.AddRange(matcher.GetResultsInFullPath(root));
            }
        }

        files.Sort(StringComparer.Ordinal);
        return files;
    }

    private static (string Root, string Relative) Split(string pattern)
    {
        var full = Path.GetFullPath(pattern);
        var segments = full.Split('/');
        var firstWild = Array.FindIndex(segments, s => s.Contains('*', StringComparison.Ordinal));
        if (firstWild < 0)
        {
            // A plain file path: its directory is the root and its name the pattern.
            firstWild = segments.Length - 1;
        }

        var root = string.Join('/', segments[..firstWild]);
        return (root.Length == 0 ? "/" : root, string.Join('/', segments[firstWild..]));
    }
}
