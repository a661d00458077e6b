using System.Runtime.CompilerServices;
using NodaTime;
using Siem.Collectors.Parsing;
using Siem.Collectors.Sources;
using Siem.Core.Events;

namespace Siem.Collectors.Tests.Parsing;

/// <summary>A pipeline with a fixed clock and UTC zone, and the shared test data found from the source path.</summary>
internal static class ParserTestKit
{
    public static readonly Instant Now = Instant.FromUtc(2026, 11, 22, 4, 15, 0);

    public static string TestData { get; } = FindTestData();

    public static ParserPipeline Pipeline(Instant? now = null, DateTimeZone? zone = null) => new(new ParserOptions
    {
        AgentId = "agent-1",
        HostName = "collector-host",
        Clock = new FixedClock(now ?? Now),
        TimeZone = zone ?? DateTimeZone.Utc,
    });

    public static RawLine Line(string text, long offset = 0, string sourceKey = "file:8:1", string? path = "/var/log/auth.log") =>
        new("file", sourceKey, offset, offset + text.Length + 1, text, null, path);

    /// <summary>Parses one line and returns its events (nothing held back: auditd lines are flushed too).</summary>
    public static List<LogEvent> ParseAll(params string[] lines) => ParseAll(Pipeline(), lines);

    public static List<LogEvent> ParseAll(ParserPipeline pipeline, params string[] lines)
    {
        var output = new List<LogEvent>();
        long offset = 0;
        foreach (string line in lines)
        {
            pipeline.Parse(Line(line, offset), output);
            offset += line.Length + 1;
        }
        pipeline.Flush(output);
        return output;
    }

    public static LogEvent Single(string line, ParserPipeline? pipeline = null)
    {
        var events = ParseAll(pipeline ?? Pipeline(), line);
        return Assert.Single(events);
    }

    public static string[] Tags(LogEvent e) => e.Fields.TryGetValue(EcsFields.Tags, out var t) ? t as string[] ?? [(string)t] : [];

    public static string[] Values(LogEvent e, string field) => e.Fields.TryGetValue(field, out var v) ? v as string[] ?? [(string)v] : [];

    private static string FindTestData()
    {
        foreach (var start in new[] { Path.GetDirectoryName(SourceFile())!, AppContext.BaseDirectory, Directory.GetCurrentDirectory() })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "Siem.sln")))
                {
                    return Path.GetFullPath(Path.Combine(dir.FullName, "..", "shared", "testdata"));
                }
            }
        }
        throw new InvalidOperationException("cannot find the repository root (Siem.sln) from the test source, binary or working directory");
    }

    private static string SourceFile([CallerFilePath] string path = "") => path;

    private sealed class FixedClock(Instant now) : IClock
    {
        public Instant GetCurrentInstant() => now;
    }
}
