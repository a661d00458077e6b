using System.Text.Json;
using NodaTime;
using Siem.Collectors.Parsing;
using Siem.Collectors.Sources;
using Siem.Core.Events;
using Siem.Engine.Alerts;
using Siem.Rules;
using Siem.Rules.Correlation;
using Siem.Rules.Pipelines;

namespace Siem.Api.Rules;

/// <summary>
/// "Test against these events": runs rules (detection + correlation) over events an analyst pasted — JSON objects
/// (one per line, or one JSON array) or raw log lines (syslog/auth.log, auditd) read by the agent's own parsers —
/// and reports which event matched which rule and which correlations fired.
/// </summary>
public static class RuleSampleTester
{
    public const int MaxEvents = 5000;

    public static RuleSampleResult Run(RuleSet rules, string samples, FieldMappingPipeline? pipeline, IClock? clock = null)
    {
        ArgumentNullException.ThrowIfNull(rules);
        ArgumentNullException.ThrowIfNull(samples);
        var (events, problems) = Parse(samples, clock ?? SystemClock.Instance);
        var session = new DetectionSession(rules, pipeline, CorrelationOptions.Default);
        var matches = new List<RuleSampleMatch>();
        var correlations = new List<CorrelationAlert>();
        var detections = new List<SigmaRule>();
        for (int i = 0; i < events.Count; i++)
        {
            detections.Clear();
            session.Process(events[i], detections, correlations);
            if (detections.Count > 0) matches.Add(new RuleSampleMatch(i + 1, events[i], [.. detections.Select(r => r.Id)]));
        }
        session.Flush(correlations);
        return new RuleSampleResult(events, problems, matches, [.. correlations.Select(c => new RuleSampleCorrelation(
            c.Rule.Key, c.Rule.Title, c.GroupBy.Where(kv => kv.Value != null).ToDictionary(kv => kv.Key, kv => kv.Value!, StringComparer.Ordinal),
            c.Count, AlertJson.FormatInstant(c.First), AlertJson.FormatInstant(c.Last), c.RecordIds))]);
    }

    /// <summary>Events from pasted text; a line that yields no event is reported with its number.</summary>
    internal static (List<LogEvent> Events, List<string> Problems) Parse(string samples, IClock clock)
    {
        var problems = new List<string>();
        var lines = new List<string>();
        string trimmed = samples.TrimStart();
        if (trimmed.StartsWith('['))
        {
            // One JSON array of event objects: each becomes one JSON line for the parser.
            try
            {
                using var doc = JsonDocument.Parse(trimmed);
                foreach (var item in doc.RootElement.EnumerateArray()) lines.Add(item.GetRawText());
            }
            catch (JsonException ex)
            {
                problems.Add($"the events look like a JSON array but do not parse: {ex.Message}");
                return ([], problems);
            }
        }
        else
        {
            lines.AddRange(samples.Split('\n').Select(l => l.TrimEnd('\r')));
        }

        var parser = new ParserPipeline(new ParserOptions { AgentId = "rule-test", HostName = "sample", TimeZone = DateTimeZone.Utc, Clock = clock });
        var events = new List<LogEvent>();
        long offset = 0;
        for (int i = 0; i < lines.Count; i++)
        {
            string line = lines[i];
            long next = offset + line.Length + 1;
            if (line.Trim().Length == 0)
            {
                offset = next;
                continue;
            }
            if (events.Count >= MaxEvents)
            {
                problems.Add($"only the first {MaxEvents} events are tested");
                break;
            }
            int before = events.Count;
            parser.Parse(new RawLine("sample", "sample", offset, next, line), events);
            parser.Flush(events); // a pasted line is one whole event (auditd records included)
            if (events.Count == before) problems.Add($"line {i + 1}: no event could be read from it");
            offset = next;
        }
        return (events, problems);
    }
}
