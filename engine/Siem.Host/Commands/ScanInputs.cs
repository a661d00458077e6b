using System.Text.Json;
using NodaTime;
using Siem.Collectors.Parsing;
using Siem.Collectors.Sources;
using Siem.Core.Events;

namespace Siem.Host.Commands;

/// <summary>
/// Reads scan inputs into events: a directory (recursively, sorted), a file holding one JSON document (e.g. a
/// Sigma regression case: one Windows event), a file of several pretty-printed JSON documents, or a line file
/// (JSON lines, syslog/auth.log, auditd) through the agent's <see cref="ParserPipeline"/>.
/// </summary>
internal sealed class ScanInputs(ParserOptions options, TextWriter errors)
{
    /// <summary>An event and where it came from (the input as given, 1-based line).</summary>
    public readonly record struct Located(LogEvent Event, string Input, int Line);

    private static readonly HashSet<string> _notLogs = new(StringComparer.OrdinalIgnoreCase)
    {
        ".yml", ".yaml", ".md", ".gz", ".zip", ".bz2", ".xz", ".7z", ".tar", ".evtx", ".exe", ".dll", ".png", ".jpg", ".pdf",
    };

    public long BytesRead { get; private set; }

    public long TotalBytes { get; private set; }

    public int FailedInputs { get; private set; }

    /// <summary>Expands directories; reports inputs that do not exist.</summary>
    public List<(string Given, string Path)> Expand(IEnumerable<string> inputs)
    {
        var files = new List<(string, string)>();
        foreach (var input in inputs)
        {
            if (Directory.Exists(input))
            {
                // A directory is searched for logs: rule files, docs and archives next to them are not events.
                files.AddRange(Directory.EnumerateFiles(input, "*", SearchOption.AllDirectories)
                    .Where(f => !_notLogs.Contains(Path.GetExtension(f)))
                    .Order(StringComparer.Ordinal).Select(f => (f, f)));
            }
            else if (File.Exists(input))
            {
                files.Add((input, input));
            }
            else
            {
                errors.WriteLine($"siem scan: {input}: no such file or directory");
                FailedInputs++;
            }
        }
        TotalBytes = files.Sum(f => new FileInfo(f.Item2).Length);
        return files;
    }

    public IEnumerable<Located> Read(string given, string path)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            errors.WriteLine($"siem scan: {given}: cannot read: {ex.Message}");
            FailedInputs++;
            return [];
        }
        BytesRead += text.Length;
        var trimmed = text.AsSpan().TrimStart();
        if (!trimmed.IsEmpty && trimmed[0] == '{' && !IsJsonLines(text))
        {
            return Documents(given, text);
        }
        return Lines(given, text);
    }

    /// <summary>JSON lines when the first non-blank line is a complete JSON value on its own.</summary>
    private static bool IsJsonLines(string text)
    {
        using var reader = new StringReader(text);
        string? line;
        while ((line = reader.ReadLine()) is not null && string.IsNullOrWhiteSpace(line))
        {
        }
        if (line is null)
        {
            return false;
        }
        try
        {
            using var _ = JsonDocument.Parse(line);
            // A one-line file holding one object is both; treat it as a document (same result, no line parser).
            return text.AsSpan().Trim().Length != line.AsSpan().Trim().Length;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    private IEnumerable<Located> Documents(string given, string text)
    {
        IReadOnlyList<LogEvent> events;
        try
        {
            events = WindowsEventJson.ReadDocuments(text, given, options.AgentId, options.HostName);
        }
        catch (JsonException ex)
        {
            errors.WriteLine($"siem scan: {given}: not JSON documents: {ex.Message}; reading it as lines instead");
            return Lines(given, text);
        }
        var parser = new ParserPipeline(options);
        var result = new List<Located>();
        foreach (var e in events)
        {
            // Not a Windows event: let the JSON line parser flatten it (nested objects → dotted fields, time fields).
            var located = e.Get("EventID") is null && e.Get("winlog.channel") is null
                ? Reparse(parser, given, e)
                : e;
            result.Add(new Located(located, given, LineOf(text, e.Original)));
        }
        return result;
    }

    private static LogEvent Reparse(ParserPipeline parser, string given, LogEvent e)
    {
        var output = new List<LogEvent>(1);
        parser.Parse(new RawLine("scan", given, 0, 0, e.Original.ReplaceLineEndings(" "), Path: given), output);
        return output.Count == 1 ? output[0] : e;
    }

    private static int LineOf(string text, string original)
    {
        var at = original.Length == 0 ? -1 : text.IndexOf(original, StringComparison.Ordinal);
        return at < 0 ? 1 : 1 + text.AsSpan(0, at).Count('\n');
    }

    private IEnumerable<Located> Lines(string given, string text)
    {
        var parser = new ParserPipeline(options);
        var output = new List<LogEvent>();
        // auditd records are grouped and come out later: remember the first line of each held-back record.
        var heldBack = new Dictionary<string, int>(StringComparer.Ordinal);
        using var reader = new StringReader(text);
        var lineNo = 0;
        string? line;
        while ((line = reader.ReadLine()) is not null)
        {
            lineNo++;
            output.Clear();
            parser.Parse(new RawLine("scan", given, lineNo, lineNo + 1, line, Path: given), output);
            if (output.Count == 0 && !string.IsNullOrWhiteSpace(line))
            {
                if (heldBack.Count > 100_000)
                {
                    heldBack.Clear(); // line numbers of very old groups are lost, never events
                }
                heldBack[RecordIds.For(options.AgentId, given, lineNo)] = lineNo;
            }
            foreach (var e in output)
            {
                yield return new Located(e, given, heldBack.Remove(e.RecordId, out var first) ? first : lineNo);
            }
        }
        output.Clear();
        parser.Flush(output);
        foreach (var e in output)
        {
            yield return new Located(e, given, heldBack.Remove(e.RecordId, out var first) ? first : lineNo);
        }
    }

    /// <summary>Parser options for offline scans: UTC for year-less timestamps, the file name as the source key.</summary>
    public static ParserOptions DefaultOptions(IClock? clock = null) => new()
    {
        AgentId = "scan",
        HostName = "unknown",
        TimeZone = DateTimeZone.Utc,
        Clock = clock ?? SystemClock.Instance,
    };
}
