using Siem.Rules.Detection;

namespace Siem.Rules.Evaluation;

/// <summary>A compiled condition or detection item; evaluation reads the event only through <see cref="MatchContext"/>.</summary>
internal abstract class CNode
{
    public abstract bool Eval(MatchContext ctx);
}

internal sealed class CAnd(CNode[] children) : CNode
{
    public CNode[] Children => children;

    public override bool Eval(MatchContext ctx)
    {
        foreach (var c in children)
        {
            if (!c.Eval(ctx))
            {
                return false;
            }
        }
        return true;
    }
}

internal sealed class COr(CNode[] children) : CNode
{
    public CNode[] Children => children;

    public override bool Eval(MatchContext ctx)
    {
        foreach (var c in children)
        {
            if (c.Eval(ctx))
            {
                return true;
            }
        }
        return false;
    }
}

internal sealed class CNot(CNode child) : CNode
{
    public override bool Eval(MatchContext ctx) => !child.Eval(ctx);
}

internal sealed class CAtLeast(int count, CNode[] children) : CNode
{
    public int Count => count;

    public CNode[] Children => children;

    public override bool Eval(MatchContext ctx)
    {
        var hits = 0;
        for (var i = 0; i < children.Length; i++)
        {
            if (children[i].Eval(ctx) && ++hits >= count)
            {
                return true;
            }
            if (hits + (children.Length - i - 1) < count)
            {
                return false;
            }
        }
        return false;
    }
}

/// <summary><c>field|mods: values</c> over the event's value(s) of the field (several slots when a mapping gives candidates).</summary>
internal sealed class FieldItem(int[] slots, ValueMatcher[] matchers, bool all, bool negate) : CNode
{
    public int[] Slots => slots;

    public ValueMatcher[] Matchers => matchers;

    public bool All => all;

    public bool Negate => negate;

    public override bool Eval(MatchContext ctx)
    {
        var r = all ? EvalAll(ctx) : EvalAny(ctx);
        return r != negate;
    }

    private bool EvalAny(MatchContext ctx)
    {
        foreach (var slot in slots)
        {
            switch (ctx.Get(slot))
            {
                case string s:
                    foreach (var m in matchers)
                    {
                        if (m.Match(s, ctx))
                        {
                            return true;
                        }
                    }
                    break;
                case string[] arr:
                    foreach (var s in arr)
                    {
                        foreach (var m in matchers)
                        {
                            if (m.Match(s, ctx))
                            {
                                return true;
                            }
                        }
                    }
                    break;
            }
        }
        return false;
    }

    private bool EvalAll(MatchContext ctx)
    {
        foreach (var m in matchers)
        {
            if (!AnyValue(m, ctx))
            {
                return false;
            }
        }
        return true;
    }

    private bool AnyValue(ValueMatcher m, MatchContext ctx)
    {
        foreach (var slot in slots)
        {
            switch (ctx.Get(slot))
            {
                case string s when m.Match(s, ctx):
                    return true;
                case string[] arr:
                    foreach (var s in arr)
                    {
                        if (m.Match(s, ctx))
                        {
                            return true;
                        }
                    }
                    break;
            }
        }
        return false;
    }
}

/// <summary>Field-less values: searched in every string value of the event.</summary>
internal sealed class KeywordItem(ValueMatcher[] matchers, bool all, bool negate, KeywordIndex? index = null, int[]? literalIds = null) : CNode
{
    public override bool Eval(MatchContext ctx)
    {
        // No necessary literal in the event: every matcher fails, so the item is false (with |all too: matchers are non-empty).
        if (index is not null && literalIds is not null && !index.AnyHit(ctx, literalIds))
        {
            return negate;
        }
        var r = true;
        if (all)
        {
            foreach (var m in matchers)
            {
                if (!AnyField(m, ctx))
                {
                    r = false;
                    break;
                }
            }
        }
        else
        {
            r = false;
            foreach (var m in matchers)
            {
                if (AnyField(m, ctx))
                {
                    r = true;
                    break;
                }
            }
        }
        return r != negate;
    }

    private static bool AnyField(ValueMatcher m, MatchContext ctx)
    {
        foreach (var value in ctx.Event.Fields.Values)
        {
            if (value is string s)
            {
                if (m.Match(s, ctx))
                {
                    return true;
                }
            }
            else
            {
                foreach (var x in (string[])value)
                {
                    if (m.Match(x, ctx))
                    {
                        return true;
                    }
                }
            }
        }
        return false;
    }
}

/// <summary><c>|exists: true/false</c>, or <c>null</c> (absent or empty).</summary>
internal sealed class PresenceItem(int[] slots, bool nullCheck, bool existsValue, bool negate) : CNode
{
    public override bool Eval(MatchContext ctx)
    {
        var present = false;
        var nonEmpty = false;
        foreach (var slot in slots)
        {
            var v = ctx.Get(slot);
            if (v is null)
            {
                continue;
            }
            present = true;
            if (v is string s)
            {
                nonEmpty |= s.Length > 0;
            }
            else
            {
                foreach (var x in (string[])v)
                {
                    nonEmpty |= x.Length > 0;
                }
            }
        }
        var r = nullCheck ? !nonEmpty : present == existsValue;
        return r != negate;
    }
}

/// <summary>Time modifiers: a number extracted from a date value compared with each rule value.</summary>
internal sealed class TimeItem(int[] slots, TimePart part, (CompareOp Op, double Number)[] values, bool all, bool negate) : CNode
{
    public override bool Eval(MatchContext ctx)
    {
        var r = all;
        foreach (var (op, number) in values)
        {
            var hit = Any(ctx, op, number);
            if (all && !hit)
            {
                r = false;
                break;
            }
            if (!all && hit)
            {
                r = true;
                break;
            }
        }
        return r != negate;
    }

    private bool Any(MatchContext ctx, CompareOp op, double number)
    {
        foreach (var slot in slots)
        {
            switch (ctx.Get(slot))
            {
                case string s when ValueSemantics.TryTimePart(s, part, out var p) && ValueSemantics.Compare(p, op, number):
                    return true;
                case string[] arr:
                    foreach (var s in arr)
                    {
                        if (ValueSemantics.TryTimePart(s, part, out var q) && ValueSemantics.Compare(q, op, number))
                        {
                            return true;
                        }
                    }
                    break;
            }
        }
        return false;
    }
}
