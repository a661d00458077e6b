using Siem.Rules.Detection;
using Siem.Rules.Evaluation;

namespace Siem.Rules;

/// <summary>
/// A rule set compiled into a fast evaluator. <see cref="Match"/> is thread-safe (per-thread scratch state) and
/// does not allocate per event once warm. Rules are indexed by the event's logsource (see <c>EventLogsource</c>)
/// and by the EventID values they require; candidate lists are cached per (Channel, EventID, event.module, host.os.type).
/// </summary>
public sealed partial class CompiledRuleSet
{
    private readonly CompiledRule[] _rules;
    private readonly FieldTable _fields;
    private readonly KeywordIndex _keywords;
    private readonly KeywordScanner _allScanner;
    private readonly LiteralPrefilter _prefilter;
    private readonly (int Slot, KeywordScanner Scanner)[] _allFieldScanners;
    private readonly CompileOptions _options;
    private readonly ThreadLocal<MatchContext> _contexts;
    private readonly int _channelSlot;
    private readonly int _winlogChannelSlot;
    private readonly int _eventIdSlot;
    private readonly int _winlogEventIdSlot;
    private readonly int _moduleSlot;
    private readonly int _osTypeSlot;
    private readonly int _processNameSlot;
    private readonly int[] _windowsMarkerSlots;

    private CompiledRuleSet(CompiledRule[] rules, FieldTable fields, KeywordIndex keywords, LiteralPrefilter prefilter, CompileOptions options, IReadOnlyList<RuleLoadError> errors)
    {
        _rules = rules;
        _fields = fields;
        _options = options;
        CompileErrors = errors;
        _channelSlot = fields.Slot("Channel");
        _winlogChannelSlot = fields.Slot("winlog.channel");
        _eventIdSlot = fields.Slot("EventID");
        _winlogEventIdSlot = fields.Slot("winlog.event_id");
        _moduleSlot = fields.Slot("event.module");
        _osTypeSlot = fields.Slot("host.os.type");
        _processNameSlot = fields.Slot("process.name");
        _windowsMarkerSlots = [_channelSlot, _winlogChannelSlot, _eventIdSlot, _winlogEventIdSlot, fields.Slot("Provider_Name"), fields.Slot("winlog.provider_name")];
        fields.Freeze();
        _keywords = keywords;
        keywords.Freeze();
        _allScanner = keywords.ScannerFor(rules.SelectMany(r => r.KeywordLiterals));
        _prefilter = prefilter;
        _allFieldScanners = prefilter.ScannersFor(rules.SelectMany(r => r.LiteralClause ?? []));
        _contexts = new ThreadLocal<MatchContext>(() => new MatchContext(_fields.Count, keywords.Count, prefilter.Count));
    }

    /// <summary>Rules that could not be compiled (e.g. an undefined <c>|expand</c> placeholder); the others still run.</summary>
    public IReadOnlyList<RuleLoadError> CompileErrors { get; }

    public int RuleCount => _rules.Length;

    /// <summary>All compiled rules, in load order.</summary>
    public IEnumerable<SigmaRule> Rules => _rules.Select(r => r.Rule);

    /// <summary>Regex evaluations (process-wide) that hit their timeout and counted as no match.</summary>
    public static long RegexTimeouts => ValueSemantics.RegexTimeouts;

    public static CompiledRuleSet Compile(RuleSet set, IFieldMapper? mapper = null, CompileOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(set);
        options ??= CompileOptions.Default;
        var fields = new FieldTable();
        var compiler = new RuleCompiler(fields, mapper, options);
        var prefilter = new LiteralPrefilter();
        var errors = new List<RuleLoadError>();
        var compiled = new List<CompiledRule>();
        var filtersByRule = new Dictionary<string, List<SigmaFilter>>(StringComparer.Ordinal);
        foreach (var f in set.Filters)
        {
            foreach (var r in f.Rules)
            {
                if (!filtersByRule.TryGetValue(r, out var list))
                {
                    filtersByRule[r] = list = [];
                }
                list.Add(f);
            }
        }
        foreach (var rule in set.Rules)
        {
            try
            {
                var condition = compiler.Compile(rule.Detection, rule.Logsource);
                var filters = FiltersFor(rule, filtersByRule).Select(f => compiler.Compile(f.Detection, rule.Logsource)).ToArray();
                var required = options.IndexByLogsource
                    ? RequiredValues.Of(rule.Detection, "EventID", f => mapper is null || mapper.Map(rule.Logsource, f) is [var only] && only == f)
                    : null;
                var requiredSlots = options.IndexByLogsource ? compiler.RequiredSlots(rule.Detection, rule.Logsource) : null;
                var referencedSlots = compiler.ReferencedSlots(rule.Detection, rule.Logsource);
                compiled.Add(new CompiledRule(rule, compiled.Count, condition, filters, required, requiredSlots, referencedSlots, compiler.Keywords.TakeRegistered(), prefilter.Register(condition)));
            }
            catch (Exception ex) when (ex is RuleParseException or KeyNotFoundException or ArgumentException)
            {
                compiler.Keywords.TakeRegistered();
                var pe = ex as RuleParseException;
                errors.Add(new RuleLoadError(rule.SourcePath, pe?.Line ?? rule.Line, pe?.Column ?? 1, rule.Id, ex.Message,
                    Unsupported: ex is KeyNotFoundException || pe?.Unsupported == true));
            }
        }
        return new CompiledRuleSet([.. compiled], fields, compiler.Keywords, prefilter, options, errors);
    }

    private static IEnumerable<SigmaFilter> FiltersFor(SigmaRule rule, Dictionary<string, List<SigmaFilter>> byRule)
    {
        var result = byRule.TryGetValue(rule.Id, out var a) ? a : [];
        return rule.Name is not null && byRule.TryGetValue(rule.Name, out var b) ? result.Concat(b).Distinct() : result;
    }
}
