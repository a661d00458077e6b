using System.Security.Cryptography;
using System.Text;

namespace Siem.Host.Demo;

/// <summary>
/// Turns what a person passes as <c>--input</c> into files the agent can tail line by line. Directories are searched
/// recursively and globs (<c>*</c>, <c>?</c>, <c>**</c>) expanded. Files the agent reads as they are (UTF-8 text, JSON
/// lines) are shipped in place; the others get a converted copy under the staging directory, and that copy is shipped:
/// gzip and zip archives are unpacked, UTF-16/UTF-32 text (Windows exports) is re-encoded as UTF-8, and JSON documents
/// (an array, pretty-printed objects, a <c>{"Records": [...]}</c> wrapper) become one JSON object per line. Copies
/// are named after the original's full path, so running again over the same inputs gives the same record ids and
/// indexes nothing twice.
/// </summary>
internal static partial class DemoInputs
{
    /// <summary>A file to ship, the input it came from, and why it is a converted copy (null = shipped in place).</summary>
    public readonly record struct Prepared(string Given, string Path, string? Conversion);

    /// <summary>Inputs the demo cannot read: a message naming the input and what to do.</summary>
    public sealed class InputException(string message) : Exception(message);

    // What a directory holds next to logs that is not a log: rules, docs, images, binaries.
    private static readonly HashSet<string> _notLogs = new(StringComparer.OrdinalIgnoreCase)
    {
        ".yml", ".yaml", ".md", ".exe", ".dll", ".png", ".jpg", ".gif", ".pdf", ".pyc",
    };

    /// <summary>Expands and converts <paramref name="inputs"/>; <paramref name="log"/> says what was converted or skipped.</summary>
    /// <exception cref="InputException">An input does not exist, matches nothing, or cannot be read as logs.</exception>
    public static List<Prepared> Prepare(IEnumerable<string> inputs, string stageDir, Action<string> log)
    {
        var prepared = new List<Prepared>();
        foreach (var given in inputs)
        {
            var skipped = new SortedDictionary<string, int>(StringComparer.OrdinalIgnoreCase);
            foreach (var (path, inDirectory) in Expand(given))
            {
                var extension = System.IO.Path.GetExtension(path);
                if (inDirectory && _notLogs.Contains(extension))
                {
                    skipped[extension] = skipped.GetValueOrDefault(extension) + 1;
                    continue;
                }
                try
                {
                    Convert(given, path, StagePath(stageDir, path), prepared, log, asked: !inDirectory);
                }
                catch (InputException ex) when (inDirectory)
                {
                    log($"demo: skipping {ex.Message}");
                }
            }
            if (skipped.Count > 0)
            {
                log($"demo: skipped {skipped.Values.Sum()} files that are not logs ({string.Join(", ", skipped.Keys)}) under {System.IO.Path.GetFullPath(given)}");
            }
        }
        if (prepared.Count == 0) throw new InputException("no input files to ship (the inputs given hold no log files)");
        return prepared;
    }

    private static IEnumerable<(string Path, bool InDirectory)> Expand(string given)
    {
        var full = System.IO.Path.GetFullPath(given);
        if (File.Exists(full)) return [(full, false)];
        if (Directory.Exists(full))
        {
            return Directory.EnumerateFiles(full, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal).Select(f => (f, true));
        }
        if (given.AsSpan().IndexOfAny('*', '?') >= 0)
        {
            var matches = Glob(full).ToList();
            if (matches.Count == 0) throw new InputException($"input '{given}' matches no file");
            return matches.Select(f => (f, false));
        }
        throw new InputException($"input file '{given}' does not exist");
    }

    /// <summary>Wildcards in the file name (<c>/var/log/auth*.log</c>) or <c>**</c> for any depth (<c>/logs/**/*.json</c>).</summary>
    private static IEnumerable<string> Glob(string full)
    {
        var dir = System.IO.Path.GetDirectoryName(full) ?? "/";
        var name = System.IO.Path.GetFileName(full);
        var recursive = false;
        if (System.IO.Path.GetFileName(dir) == "**")
        {
            recursive = true;
            dir = System.IO.Path.GetDirectoryName(dir) ?? "/";
        }
        if (dir.AsSpan().IndexOfAny('*', '?') >= 0)
        {
            throw new InputException($"input '{full}': wildcards are supported in the file name and as a '**' directory, not in other directories");
        }
        if (!Directory.Exists(dir)) return [];
        return Directory.EnumerateFiles(dir, name, recursive ? SearchOption.AllDirectories : SearchOption.TopDirectoryOnly)
            .Order(StringComparer.Ordinal);
    }

    /// <summary>Where the converted copy of <paramref name="path"/> goes: stable per original path.</summary>
    private static string StagePath(string stageDir, string path)
    {
        var id = System.Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(path)))[..12];
        return System.IO.Path.Combine(stageDir, $"{id}-{System.IO.Path.GetFileName(path)}");
    }
}
