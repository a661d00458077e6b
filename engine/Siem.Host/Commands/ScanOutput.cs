using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text.Json;
using NodaTime.Text;
using Siem.Core.Events;
using Siem.Rules;
using Siem.Rules.Correlation;

namespace Siem.Host.Commands;

/// <summary>Writes scan matches: JSON lines (<c>--json</c>) or a readable table, then the summary.</summary>
internal sealed class ScanOutput(TextWriter stdout, bool json)
{
    /// <summary>Where a contributing event came from, remembered for correlation alerts.</summary>
    public sealed record Origin(string Input, int Line);

    private bool _headerWritten;

    public long Matches { get; private set; }

    public void Detection(SigmaRule rule, ScanInputs.Located at)
    {
        Matches++;
        if (!json)
        {
            Row(rule.Level, rule.Title, $"{at.Input}:{at.Line}", Brief(at.Event));
            return;
        }
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("rule_id", rule.Id);
            w.WriteString("rule_title", rule.Title);
            w.WriteString("level", rule.Level);
            w.WriteString("input", at.Input);
            w.WriteNumber("line", at.Line);
            w.WritePropertyName("event");
            WriteEvent(w, at.Event);
            w.WriteEndObject();
        }
        stdout.WriteLine(System.Text.Encoding.UTF8.GetString(buffer.ToArray()));
    }

    public void Correlation(CorrelationAlert alert, ConditionalWeakTable<LogEvent, Origin> origins)
    {
        Matches++;
        var last = alert.Events.Count > 0 && origins.TryGetValue(alert.Events[^1], out var o) ? o : null;
        if (!json)
        {
            var group = string.Join(", ", alert.GroupBy.Select(g => $"{g.Key}={g.Value ?? "null"}"));
            Row(alert.Rule.Level, alert.Rule.Title, last is null ? "-" : $"{last.Input}:{last.Line}",
                $"{group}; {alert.Count} events, value {alert.Value.ToString(CultureInfo.InvariantCulture)}{(alert.ValueKey is null ? "" : $" ({alert.ValueKey})")}, {alert.First} .. {alert.Last}");
            return;
        }
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("rule_id", alert.Rule.Id ?? alert.Rule.Name ?? alert.Rule.Key);
            w.WriteString("rule_title", alert.Rule.Title);
            w.WriteString("level", alert.Rule.Level);
            w.WriteString("input", last?.Input);
            w.WriteNumber("line", last?.Line ?? 0);
            w.WriteStartObject("group");
            foreach (var (k, v) in alert.GroupBy)
            {
                w.WriteString(k, v);
            }
            w.WriteEndObject();
            w.WriteString("type", CorrelationRuleParser.TypeName(alert.Rule.Type));
            w.WriteNumber("count", alert.Count);
            if (double.IsFinite(alert.Value))
            {
                w.WriteNumber("value", alert.Value);
            }
            if (alert.ValueKey is not null)
            {
                w.WriteString("value_key", alert.ValueKey);
            }
            w.WriteString("first", InstantPattern.ExtendedIso.Format(alert.First));
            w.WriteString("last", InstantPattern.ExtendedIso.Format(alert.Last));
            w.WriteStartArray("record_ids");
            foreach (var id in alert.RecordIds)
            {
                w.WriteStringValue(id);
            }
            w.WriteEndArray();
            w.WriteStartArray("events");
            foreach (var e in alert.Events)
            {
                WriteEvent(w, e);
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        stdout.WriteLine(System.Text.Encoding.UTF8.GetString(buffer.ToArray()));
    }

    public void Finish(ScanCommand.Summary summary)
    {
        if (json)
        {
            stdout.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{{\"events\":{summary.Events},\"matches\":{summary.Matches},\"rules\":{summary.Rules},\"events_per_sec\":{summary.EventsPerSecond}}}"));
            return;
        }
        stdout.WriteLine();
        stdout.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{summary.Events} events, {summary.Matches} matches, {summary.Rules} rules, {summary.EventsPerSecond:0} events/s"));
    }

    private static void WriteEvent(Utf8JsonWriter w, LogEvent e)
    {
        w.WriteStartObject();
        w.WriteString("@timestamp", InstantPattern.ExtendedIso.Format(e.Timestamp));
        w.WriteString("record_id", e.RecordId);
        foreach (var (name, value) in e.Fields)
        {
            if (name == EcsFields.Timestamp)
            {
                continue;
            }
            if (value is string s)
            {
                w.WriteString(name, s);
            }
            else
            {
                w.WriteStartArray(name);
                foreach (var v in (string[])value)
                {
                    w.WriteStringValue(v);
                }
                w.WriteEndArray();
            }
        }
        w.WriteEndObject();
    }

    private void Row(string level, string title, string where, string details)
    {
        if (!_headerWritten)
        {
            stdout.WriteLine($"{"LEVEL",-13} {"RULE",-50} {"WHERE",-40} DETAILS");
            _headerWritten = true;
        }
        stdout.WriteLine($"{Clip(level, 13),-13} {Clip(title, 50),-50} {Clip(where, 40),-40} {Clip(details, 160)}");
    }

    private static string Brief(LogEvent e)
    {
        string[] preferred = ["EventID", "Image", "CommandLine", EcsFields.UserName, EcsFields.SourceIp, EcsFields.ProcessCommandLine, EcsFields.EventAction, EcsFields.Message];
        var parts = preferred.Select(f => e.Get(f) is { } v ? $"{f}={v}" : null).OfType<string>().Take(4);
        return string.Join(" ", parts);
    }

    private static string Clip(string s, int max) => s.Length <= max ? s : string.Concat(s.AsSpan(0, max - 1), "…");
}
