using Siem.Core.Events;
using Siem.Rules.Detection;
using Siem.Rules.Evaluation;
using Xunit.Abstractions;

namespace Siem.Rules.Tests;

/// <summary>
/// Seeded property loops: random events (real OTRF and regression events, mutated with values taken from the
/// corpus rules so that rules do fire) × every corpus rule → the compiled evaluator, with its logsource index,
/// EventID and field-presence prefilters and multi-string matchers, agrees with the plain reference interpreter.
/// </summary>
public sealed class EvaluatorPropertyTests(ITestOutputHelper output)
{
    /// <summary>Random events per seed: enough that more than 20 rule matches show the generator reaches rules.</summary>
    private const int Events = 240;
    private static readonly Lazy<(List<LogEvent> Events, List<string> Literals, List<string> Fields)> _pool = new(BuildPool);

    [Theory]
    [InlineData(20261122)]
    [InlineData(7)]
    public void Compiled_evaluator_with_index_agrees_with_the_reference_on_random_events(int seed)
    {
        var set = DetectionTestData.Corpus;
        var compiled = DetectionTestData.CompiledCorpus;
        var reference = new ReferenceEvaluator();
        var random = new Random(seed);
        var matches = new List<SigmaRule>();
        int totalMatches = 0;
        for (var i = 0; i < Events; i++)
        {
            var e = RandomEvent(random, i);
            matches.Clear();
            compiled.Match(e, matches);
            var admitted = ReferenceLogsource(e);
            var expected = set.Rules.Where(r => admitted.Admits(r.Logsource) && JudgedAtAll(r, e, admitted) && reference.Matches(r, e)).Select(r => r.Id).ToList();
            Assert.True(expected.SequenceEqual(matches.Select(m => m.Id)),
                $"seed {seed} event {i}: reference [{string.Join(",", expected)}] compiled [{string.Join(",", matches.Select(m => m.Id))}]\n{Describe(e)}");
            totalMatches += expected.Count;
        }
        output.WriteLine($"{totalMatches} rule matches over {Events} events");
        Assert.True(totalMatches > 20, "the generator should make rules fire, or the property says little");
    }

    [Fact]
    public void Compiled_evaluator_without_index_agrees_with_the_reference_on_detection_semantics()
    {
        var set = DetectionTestData.Corpus;
        var compiled = CompiledRuleSet.Compile(set, options: new CompileOptions { IndexByLogsource = false, MultiStringThreshold = 2 });
        var reference = new ReferenceEvaluator();
        var random = new Random(42);
        var matches = new List<SigmaRule>();
        for (var i = 0; i < 40; i++)
        {
            var e = RandomEvent(random, i);
            matches.Clear();
            compiled.Match(e, matches);
            var expected = set.Rules.Where(r => reference.Matches(r, e)).Select(r => r.Id).ToList();
            Assert.True(expected.SequenceEqual(matches.Select(m => m.Id)),
                $"event {i}: reference [{string.Join(",", expected)}] compiled [{string.Join(",", matches.Select(m => m.Id))}]\n{Describe(e)}");
        }
    }

    private static LogEvent RandomEvent(Random random, int n)
    {
        var (events, literals, fields) = _pool.Value;
        var source = events[random.Next(events.Count)];
        var e = new LogEvent { RecordId = $"p{n}" };
        foreach (var (k, v) in source.Fields)
        {
            e.Fields[k] = v;
        }
        var mutations = random.Next(0, 5);
        for (var m = 0; m < mutations; m++)
        {
            var keys = e.Fields.Keys.ToList();
            var literal = literals[random.Next(literals.Count)];
            switch (random.Next(7))
            {
                case 0 when keys.Count > 0: // a rule literal as the whole value
                    e.Fields[keys[random.Next(keys.Count)]] = literal;
                    break;
                case 1 when keys.Count > 0: // embedded in the existing value
                    var k = keys[random.Next(keys.Count)];
                    e.Fields[k] = (e.Get(k) ?? "") + literal + (random.Next(2) == 0 ? "" : " tail");
                    break;
                case 2: // a field some rule reads, with a rule literal
                    e.Fields[fields[random.Next(fields.Count)]] = random.Next(3) == 0 ? "x" + literal : literal;
                    break;
                case 3 when keys.Count > 0: // flip case
                    var kk = keys[random.Next(keys.Count)];
                    var s = e.Get(kk) ?? "";
                    e.Fields[kk] = random.Next(2) == 0 ? s.ToUpperInvariant() : s.ToLowerInvariant();
                    break;
                case 4 when keys.Count > 1: // drop a field
                    e.Fields.Remove(keys[random.Next(keys.Count)]);
                    break;
                case 5 when keys.Count > 0: // empty value
                    e.Fields[keys[random.Next(keys.Count)]] = "";
                    break;
                case 6: // multi-valued
                    e.Fields[fields[random.Next(fields.Count)]] = new[] { "v", literal };
                    break;
            }
        }
        return e;
    }

    /// <summary>An event of unknown product meets a rule of a named product only with a field the rule names (or keywords).</summary>
    private static bool JudgedAtAll(SigmaRule r, LogEvent e, EventLogsource admitted)
    {
        if (r.Logsource.Product is null || admitted.Product is not (null or EventLogsource.Unmarked))
        {
            return true;
        }
        var items = r.Detection.Identifiers.Values.SelectMany(id => id.Groups).SelectMany(g => g).ToList();
        return items.Any(item => item.Field is null)
            || items.All(item => item.Field is null)
            || items.Any(item => ReferenceEvaluator.Lookup(e, item.Field!) is not null);
    }

    private static EventLogsource ReferenceLogsource(LogEvent e)
    {
        string? Str(string f) => ReferenceEvaluator.Lookup(e, f) as string;
        var channel = Str("Channel") ?? Str("winlog.channel");
        var eventId = Str("EventID") ?? Str("winlog.event_id");
        var marker = new[] { "Channel", "winlog.channel", "EventID", "winlog.event_id", "Provider_Name", "winlog.provider_name" }
            .Any(f => ReferenceEvaluator.Lookup(e, f) is not null);
        return EventLogsource.Resolve(channel, eventId, Str("event.module") ?? EventLogsource.ModuleOfProgram(Str("process.name")), channel is null ? Str("host.os.type") ?? EventLogsource.OsOfProgram(Str("process.name")) : null, marker);
    }

    private static (List<LogEvent>, List<string>, List<string>) BuildPool()
    {
        var events = DetectionTestData.OtrfEvents();
        foreach (var f in Directory.GetFiles(DetectionTestData.Regression, "*.json", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            events.AddRange(DetectionTestData.WindowsJsonEvents(f));
        }
        // Raw cases (Cisco CLI lines, marked cisco by the agent) so the marked-product admission is exercised too.
        foreach (var f in Directory.GetFiles(DetectionTestData.Regression, "*.raw", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            events.AddRange(RegressionTests.RawLines(f));
        }
        var literals = new HashSet<string>(StringComparer.Ordinal);
        var fields = new HashSet<string>(StringComparer.Ordinal);
        foreach (var rule in DetectionTestData.Corpus.Rules)
        {
            foreach (var id in rule.Detection.Identifiers.Values)
            {
                foreach (var item in id.Groups.SelectMany(g => g))
                {
                    if (item.Field is not null)
                    {
                        fields.Add(item.Field);
                    }
                    foreach (var v in item.Values.Where(v => v.Kind == ValueKind.Glob))
                    {
                        foreach (var t in v.Glob!.Tokens.Where(t => t.Kind == GlobTokenKind.Literal))
                        {
                            literals.Add(t.Text);
                        }
                    }
                }
            }
        }
        return (events, literals.Order(StringComparer.Ordinal).ToList(), fields.Order(StringComparer.Ordinal).ToList());
    }

    private static string Describe(LogEvent e) => string.Join("\n", e.Fields.Select(kv => $"  {kv.Key} = {(kv.Value is string s ? s : string.Join(" | ", (string[])kv.Value))}"));
}
