using System.Runtime.CompilerServices;
using System.Text.Json;
using Siem.Core.Events;

namespace Siem.Rules.Tests;

/// <summary>The shared Sigma corpus, regression cases and OTRF datasets, and small readers for them (local to these tests).</summary>
internal static class DetectionTestData
{
    public static string Root { get; } = FindTestData();

    public static string SigmaRules => Path.Combine(Root, "sigma", "rules");

    public static string Regression => Path.Combine(Root, "sigma", "regression");

    public static string Otrf => Path.Combine(Root, "otrf");

    private static readonly Lazy<RuleSet> _corpus = new(() => RuleLoader.Load([SigmaRules]));
    private static readonly Lazy<CompiledRuleSet> _compiledCorpus = new(() => CompiledRuleSet.Compile(_corpus.Value));

    /// <summary>The whole SigmaHQ corpus, loaded once per test run.</summary>
    public static RuleSet Corpus => _corpus.Value;

    public static CompiledRuleSet CompiledCorpus => _compiledCorpus.Value;

    /// <summary>Every OTRF Windows JSON-lines record as a flat event (values as strings, as the agent would store them).</summary>
    public static List<LogEvent> OtrfEvents()
    {
        var list = new List<LogEvent>();
        foreach (var file in Directory.GetFiles(Otrf, "*.json").Order(StringComparer.Ordinal))
        {
            var n = 0;
            foreach (var line in File.ReadLines(file))
            {
                if (string.IsNullOrWhiteSpace(line))
                {
                    continue;
                }
                using var doc = JsonDocument.Parse(line);
                var e = new LogEvent { RecordId = $"{Path.GetFileName(file)}:{++n}", Original = line };
                foreach (var p in doc.RootElement.EnumerateObject())
                {
                    if (p.Value.ValueKind is not JsonValueKind.Object and not JsonValueKind.Array)
                    {
                        e.Set(p.Name, Scalar(p.Value));
                    }
                }
                list.Add(e);
            }
        }
        return list;
    }

    /// <summary>
    /// The events of one regression file (one or more concatenated Windows event JSON documents), flattened the
    /// way Windows native Sigma fields are named: Event.System.X → X (attributes → X_Attr, e.g. Provider_Name),
    /// Event.EventData.X → X, Event.UserData.Wrapper.X → X.
    /// </summary>
    public static List<LogEvent> WindowsJsonEvents(string path)
    {
        var bytes = File.ReadAllBytes(path);
        var reader = new Utf8JsonReader(bytes, new JsonReaderOptions { AllowMultipleValues = true });
        var list = new List<LogEvent>();
        while (reader.Read())
        {
            using (var doc = JsonDocument.ParseValue(ref reader))
            {
                var ev = doc.RootElement.GetProperty("Event");
                var e = new LogEvent { RecordId = $"{path}#{list.Count + 1}", Original = ev.GetRawText() };
                if (ev.TryGetProperty("System", out var system))
                {
                    foreach (var p in system.EnumerateObject())
                    {
                        FlattenSystem(e, p.Name, p.Value);
                    }
                }
                foreach (var section in new[] { "EventData", "UserData" })
                {
                    if (ev.TryGetProperty(section, out var data) && data.ValueKind == JsonValueKind.Object)
                    {
                        FlattenData(e, data);
                    }
                }
                list.Add(e);
            }
        }
        return list;
    }

    private static void FlattenSystem(LogEvent e, string name, JsonElement v)
    {
        if (v.ValueKind != JsonValueKind.Object)
        {
            e.Set(name, Scalar(v));
            return;
        }
        foreach (var p in v.EnumerateObject())
        {
            if (p.Name == "#attributes")
            {
                foreach (var a in p.Value.EnumerateObject())
                {
                    e.Set($"{name}_{a.Name}", Scalar(a.Value));
                }
            }
            else if (p.Name == "#text")
            {
                e.Set(name, Scalar(p.Value));
            }
        }
    }

    private static void FlattenData(LogEvent e, JsonElement data)
    {
        foreach (var p in data.EnumerateObject())
        {
            if (p.Name == "#attributes")
            {
                continue;
            }
            switch (p.Value.ValueKind)
            {
                case JsonValueKind.Object when p.Value.TryGetProperty("#text", out var text):
                    e.Set(p.Name, Scalar(text));
                    break;
                case JsonValueKind.Object:
                    FlattenData(e, p.Value);
                    break;
                case JsonValueKind.Array:
                    foreach (var item in p.Value.EnumerateArray())
                    {
                        e.Add(p.Name, Scalar(item));
                    }
                    break;
                default:
                    e.Set(p.Name, Scalar(p.Value));
                    break;
            }
        }
    }

    private static string Scalar(JsonElement v) => v.ValueKind switch
    {
        JsonValueKind.String => v.GetString()!,
        JsonValueKind.Null => "",
        _ => v.GetRawText(),
    };

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
        throw new InvalidOperationException("cannot find the repository root (Siem.sln) from the test binary or working directory");
    }

    private static string SourceFile([CallerFilePath] string path = "") => path;
}
