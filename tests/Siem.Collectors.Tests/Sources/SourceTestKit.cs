using Siem.Collectors.Sources;

namespace Siem.Collectors.Tests.Sources;

/// <summary>Temp directories and bounded reads for source tests.</summary>
internal sealed class TempDir : IDisposable
{
    public TempDir()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "siem-src-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
            // best effort: a source may still hold a file open on another thread
        }
    }
}

internal static class SourceTestKit
{
    /// <summary>Every test gets this long at most; a hang fails the test instead of blocking the run.</summary>
    public static CancellationTokenSource Timeout(int seconds = 15) => new(TimeSpan.FromSeconds(seconds));

    public static FileTailOptions FastOptions(TempDir dir, params string[] patterns) => new()
    {
        Paths = patterns.Select(p => System.IO.Path.IsPathRooted(p) ? p : dir.File(p)).ToArray(),
        CheckpointPath = dir.File("state/checkpoint.json"),
        PollInterval = TimeSpan.FromMilliseconds(20),
        ScanInterval = TimeSpan.FromMilliseconds(50),
        PartialLineTimeout = TimeSpan.FromMinutes(10),
        RotatedFileGrace = TimeSpan.FromMilliseconds(200),
    };

    public static async Task<List<RawLine>> TakeAsync(this IAsyncEnumerator<RawLine> reader, int count)
    {
        var lines = new List<RawLine>(count);
        while (lines.Count < count)
        {
            Assert.True(await reader.MoveNextAsync(), "the source ended early");
            lines.Add(reader.Current);
        }

        return lines;
    }

    public static void Append(string path, string text) => System.IO.File.AppendAllText(path, text);

    public static string Lines(string prefix, int from, int count)
        => string.Concat(Enumerable.Range(from, count).Select(i => $"{prefix} {i}\n"));

    public static string[] Texts(string prefix, int from, int count)
        => Enumerable.Range(from, count).Select(i => $"{prefix} {i}").ToArray();
}
