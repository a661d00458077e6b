using Siem.Core.Events;
using Siem.Rules.Evaluation;

namespace Siem.Rules;

/// <summary>The per-event hot path.</summary>
public sealed partial class CompiledRuleSet
{
    /// <summary>Most distinct (channel, event id, module) (and field-set) keys cached per thread; when full the cache starts over.</summary>
    private const int MaxCachedKeys = 4096;

    /// <summary>Appends every rule that matches <paramref name="e"/> to <paramref name="matches"/> (in rule order).</summary>
    public void Match(LogEvent e, List<SigmaRule> matches)
    {
        ArgumentNullException.ThrowIfNull(e);
        ArgumentNullException.ThrowIfNull(matches);
        var ctx = _contexts.Value!;
        ctx.Load(e, _fields);
        var (candidates, scanner, fieldScanners) = Candidates(ctx);
        ctx.Scanner = scanner;
        foreach (var (slot, fieldScanner) in fieldScanners)
        {
            fieldScanner.ScanValue(ctx.Get(slot), ctx);
        }
        foreach (var rule in candidates)
        {
            // None of the literals the rule needs occurs in its fields: it cannot match.
            if (rule.LiteralClause is { } clause && !ctx.AnyFieldHit(clause))
            {
                continue;
            }
            if (rule.Matches(ctx))
            {
                matches.Add(rule.Rule);
            }
        }
    }

    /// <summary>True when the rule (by compiled index order) matches; for tests and tools that evaluate one rule.</summary>
    internal bool Matches(LogEvent e, SigmaRule rule)
    {
        var ctx = _contexts.Value!;
        ctx.Load(e, _fields);
        return _rules.First(r => ReferenceEquals(r.Rule, rule)).Matches(ctx);
    }

    private static bool AnyPresent(MatchContext ctx, int[] slots)
    {
        foreach (var s in slots)
        {
            if (ctx.Has(s))
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>
    /// An event of unknown product (a syslog line, a JSON line without os/module fields) is judged by a rule written
    /// for a named product only when it carries at least one field the rule names. Otherwise a negation-only rule
    /// such as zeek's "not id.orig_h|cidr: private ranges" would hold for every sshd line (the field is absent).
    /// Rules with keywords are left alone: their keywords can hold without any field.
    /// </summary>
    private static bool ForeignProductRuleWithoutItsFields(CompiledRule r, EventLogsource logsource, MatchContext ctx) =>
        r.Rule.Logsource.Product is not null
        && logsource.Product is null or EventLogsource.Unmarked
        && r.KeywordLiterals.Length == 0
        && r.ReferencedSlots.Length > 0
        && !AnyPresent(ctx, r.ReferencedSlots);

    private (CompiledRule[] Rules, KeywordScanner Scanner, (int Slot, KeywordScanner Scanner)[] Fields) Candidates(MatchContext ctx)
    {
        if (!_options.IndexByLogsource)
        {
            return (_rules, _allScanner, _allFieldScanners);
        }
        var channel = ctx.Get(_channelSlot) as string ?? ctx.Get(_winlogChannelSlot) as string;
        var eventIdValue = ctx.Get(_eventIdSlot);
        var eventId = eventIdValue as string ?? ctx.Get(_winlogEventIdSlot) as string;
        var module = ctx.Get(_moduleSlot) as string ?? EventLogsource.ModuleOfProgram(ctx.Get(_processNameSlot) as string);
        var osType = channel is null ? ctx.Get(_osTypeSlot) as string ?? EventLogsource.OsOfProgram(ctx.Get(_processNameSlot) as string) : null;
        var key = (channel, eventIdValue is string[]? "\0multi" : eventId, module, osType, ctx.PresenceSignature);
        if (ctx.Candidates.TryGetValue(key, out var cached))
        {
            return cached;
        }
        var logsource = EventLogsource.Resolve(channel, eventId, module, osType, AnyPresent(ctx, _windowsMarkerSlots));
        var list = new List<CompiledRule>();
        foreach (var r in _rules)
        {
            if (!logsource.Admits(r.Rule.Logsource))
            {
                continue;
            }
            // The EventID prefilter reads the same slot the rule's EventID item reads.
            if (r.RequiredEventIds is not null && eventIdValue is not string[] && (eventIdValue is not string id || !r.RequiredEventIds.Contains(id)))
            {
                continue;
            }
            if (r.RequiredSlots is { } slots && !AnyPresent(ctx, slots))
            {
                continue;
            }
            if (ForeignProductRuleWithoutItsFields(r, logsource, ctx))
            {
                continue;
            }
            list.Add(r);
        }
        // The keyword scan looks only for the literals of these rules (Windows events skip the Linux keyword lists).
        var result = (list.ToArray(), _keywords.ScannerFor(list.SelectMany(r => r.KeywordLiterals)), _prefilter.ScannersFor(list.SelectMany(r => r.LiteralClause ?? [])));
        if (ctx.Candidates.Count >= MaxCachedKeys)
        {
            // Hostile or very varied input: start over rather than grow without bound.
            ctx.Candidates.Clear();
        }
        ctx.Candidates[key] = result;
        return result;
    }

    /// <summary>Diagnostics for <c>siem bench rules --profile</c>: microseconds for loading the event and finding its candidates, and for the shared keyword and field-literal scans.</summary>
    internal (double LoadUs, double KeywordUs) ProfileOverhead(LogEvent e, int repeat)
    {
        var ctx = _contexts.Value!;
        var sw = System.Diagnostics.Stopwatch.StartNew();
        for (var i = 0; i < repeat; i++)
        {
            ctx.Load(e, _fields);
            Candidates(ctx);
        }
        var load = sw.Elapsed.TotalMicroseconds / repeat;
        sw.Restart();
        for (var i = 0; i < repeat; i++)
        {
            ctx.Load(e, _fields);
            var (_, scanner, fieldScanners) = Candidates(ctx);
            ctx.Scanner = scanner;
            _keywords.AnyHit(ctx, []);
            foreach (var (slot, fieldScanner) in fieldScanners)
            {
                fieldScanner.ScanValue(ctx.Get(slot), ctx);
            }
        }
        return (load, Math.Max(0, (sw.Elapsed.TotalMicroseconds / repeat) - load));
    }

    /// <summary>Diagnostics for <c>siem bench rules --profile</c>: the candidate rules for an event, each with its evaluation time.</summary>
    internal IReadOnlyList<(SigmaRule Rule, double Us)> ProfileCandidates(LogEvent e, int repeat)
    {
        var ctx = _contexts.Value!;
        ctx.Load(e, _fields);
        var result = new List<(SigmaRule, double)>();
        var (candidates, scanner, fieldScanners) = Candidates(ctx);
        ctx.Scanner = scanner;
        foreach (var (slot, fieldScanner) in fieldScanners)
        {
            fieldScanner.ScanValue(ctx.Get(slot), ctx);
        }
        foreach (var rule in candidates)
        {
            if (rule.LiteralClause is { } clause && !ctx.AnyFieldHit(clause))
            {
                continue;
            }
            // Minimum over batches: on a shared machine preemption only ever adds time.
            var best = double.MaxValue;
            for (var batch = 0; batch < 5; batch++)
            {
                var sw = System.Diagnostics.Stopwatch.StartNew();
                for (var i = 0; i < repeat; i++)
                {
                    rule.Matches(ctx);
                }
                best = Math.Min(best, sw.Elapsed.TotalMicroseconds / repeat);
            }
            result.Add((rule.Rule, best));
        }
        return result;
    }
}
