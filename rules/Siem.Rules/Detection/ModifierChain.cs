using System.Globalization;
using System.Net;
using System.Text;
using System.Text.RegularExpressions;

namespace Siem.Rules.Detection;

/// <summary>A raw value from YAML: text (null for a YAML null) and where it was.</summary>
internal readonly record struct RawValue(string? Text, int Line, int Column);

/// <summary>Applies a chain of Sigma value modifiers (modifiers appendix 2.1) to the raw values of one item.</summary>
internal static partial class ModifierChain
{
    private static readonly string[] _dashes = ["-", "/", "\u2013", "\u2014", "\u2015"];

    [GeneratedRegex(@"\B[-/\u2013\u2014\u2015]\b")]
    private static partial Regex WindashPlaces();

    public static DetectionItem Build(string? field, IReadOnlyList<string> modifiers, IReadOnlyList<RawValue> values, int line, int column)
    {
        bool contains = false, startsWith = false, endsWith = false, all = false, cased = false, neq = false, windash = false, expand = false;
        string? encoding = null; // base64 | base64offset
        string? utf16 = null;
        string? typed = null; // re | cidr | lt.. | exists | fieldref
        var reOptions = RegexOptions.None;
        var timePart = TimePart.None;
        var compare = CompareOp.Eq;

        foreach (var raw in modifiers)
        {
            var m = raw.ToLowerInvariant();
            switch (m)
            {
                case "contains": contains = true; break;
                case "startswith": startsWith = true; break;
                case "endswith": endsWith = true; break;
                case "all": all = true; break;
                case "cased": cased = true; break;
                case "neq": neq = true; break;
                case "windash": windash = true; break;
                case "expand": expand = true; break;
                case "base64" or "base64offset": encoding = m; break;
                case "utf16le" or "wide": utf16 = "utf16le"; break;
                case "utf16be" or "utf16": utf16 = m; break;
                case "re" or "cidr" or "exists" or "fieldref":
                    SetTyped(m);
                    break;
                case "lt": SetTyped(m); compare = CompareOp.Lt; break;
                case "lte": SetTyped(m); compare = CompareOp.Lte; break;
                case "gt": SetTyped(m); compare = CompareOp.Gt; break;
                case "gte": SetTyped(m); compare = CompareOp.Gte; break;
                case "i" or "m" or "s" when typed == "re":
                    reOptions |= m switch { "i" => RegexOptions.IgnoreCase, "m" => RegexOptions.Multiline, _ => RegexOptions.Singleline };
                    break;
                case "minute": timePart = TimePart.Minute; break;
                case "hour": timePart = TimePart.Hour; break;
                case "day": timePart = TimePart.Day; break;
                case "week": timePart = TimePart.Week; break;
                case "month": timePart = TimePart.Month; break;
                case "year": timePart = TimePart.Year; break;
                case "i" or "m" or "s":
                    throw new RuleParseException($"modifier '{raw}' is only valid after 're'", line, column);
                default:
                    throw new RuleParseException($"unknown modifier '{raw}' on field '{field ?? "(keywords)"}'", line, column, unsupported: true);
            }
        }

        if (all && values.Count < 2 && !(field is null && values.Count > 0))
        {
            // The spec forbids |all on a single value; treat it as harmless rather than reject the rule.
            all = values.Count > 1 && all;
        }

        var specs = new List<ValueSpec>();
        foreach (var v in values)
        {
            specs.AddRange(Apply(v));
        }
        if (specs.Count == 0)
        {
            throw new RuleParseException($"field '{field ?? "(keywords)"}' has no values", line, column);
        }
        return new DetectionItem(field, specs, all, neq, timePart, line, column);

        void SetTyped(string m)
        {
            if (typed is not null && typed != m)
            {
                throw new RuleParseException($"modifiers '{typed}' and '{m}' cannot be combined", line, column);
            }
            typed = m;
        }

        IEnumerable<ValueSpec> Apply(RawValue v)
        {
            if (v.Text is null)
            {
                if (typed is not null || contains || startsWith || endsWith || encoding is not null)
                {
                    throw new RuleParseException($"null cannot be used with modifiers on field '{field}'", v.Line, v.Column);
                }
                return [new ValueSpec { Kind = ValueKind.Null }];
            }
            var text = v.Text;
            if (timePart != TimePart.None)
            {
                return [new ValueSpec { Kind = ValueKind.Compare, Op = compare, Number = ParseNumber(text, v) }];
            }
            switch (typed)
            {
                case "re":
                    return [new ValueSpec { Kind = ValueKind.Regex, Regex = RuleRegex.Create(text, reOptions, v.Line, v.Column), Text = text }];
                case "cidr":
                    if (!IPNetwork.TryParse(text.Trim(), out var net))
                    {
                        throw new RuleParseException($"'{text}' is not a CIDR network (e.g. 10.0.0.0/8 or fe80::/10)", v.Line, v.Column);
                    }
                    return [new ValueSpec { Kind = ValueKind.Cidr, Network = net }];
                case "lt" or "lte" or "gt" or "gte":
                    return [new ValueSpec { Kind = ValueKind.Compare, Op = compare, Number = ParseNumber(text, v) }];
                case "exists":
                    if (!bool.TryParse(text, out var exists))
                    {
                        throw new RuleParseException($"'exists' needs true or false, got '{text}'", v.Line, v.Column);
                    }
                    return [new ValueSpec { Kind = ValueKind.Exists, ExistsValue = exists }];
                case "fieldref":
                    return [new ValueSpec { Kind = ValueKind.FieldRef, Text = text, Cased = cased, LeadingStar = contains || endsWith, TrailingStar = contains || startsWith }];
            }
            if (expand)
            {
                return [new ValueSpec { Kind = ValueKind.Placeholder, Text = text, Cased = cased, LeadingStar = contains || endsWith || field is null, TrailingStar = contains || startsWith || field is null }];
            }

            IEnumerable<GlobPattern> patterns;
            var encoded = false;
            if (utf16 is not null || encoding is not null)
            {
                var bytes = utf16 switch
                {
                    "utf16le" => Encoding.Unicode.GetBytes(text),
                    "utf16be" => Encoding.BigEndianUnicode.GetBytes(text),
                    "utf16" => [0xFF, 0xFE, .. Encoding.Unicode.GetBytes(text)],
                    _ => Encoding.UTF8.GetBytes(text),
                };
                if (encoding is null)
                {
                    // utf16 without base64: the value is matched as the raw byte string (one char per byte).
                    patterns = [GlobPattern.Literal(Encoding.Latin1.GetString(bytes))];
                }
                else
                {
                    encoded = true;
                    patterns = (encoding == "base64" ? [Convert.ToBase64String(bytes)] : Base64Offsets(bytes)).Select(GlobPattern.Literal);
                }
            }
            else
            {
                patterns = [GlobPattern.Parse(text)];
            }
            if (windash)
            {
                patterns = patterns.SelectMany(p => Windash(p, v));
            }
            var keyword = field is null && !contains && !startsWith && !endsWith;
            return patterns.Select(p => new ValueSpec
            {
                Kind = ValueKind.Glob,
                Glob = p.Wrap(contains || endsWith || keyword, contains || startsWith || keyword),
                Cased = cased || encoded,
            });
        }
    }

    private static double ParseNumber(string text, RawValue v) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var d)
            ? d
            : throw new RuleParseException($"'{text}' is not a number", v.Line, v.Column);

    /// <summary>The three shifted base64 forms of a value that appears inside a larger base64 string (pySigma's algorithm).</summary>
    internal static IEnumerable<string> Base64Offsets(byte[] value)
    {
        int[] start = [0, 2, 3];
        int[] endTrim = [0, 3, 2];
        for (var i = 0; i < 3; i++)
        {
            var shifted = new byte[i + value.Length];
            for (var k = 0; k < i; k++)
            {
                shifted[k] = (byte)' ';
            }
            value.CopyTo(shifted, i);
            var b64 = Convert.ToBase64String(shifted);
            var end = b64.Length - endTrim[(value.Length + i) % 3];
            yield return b64[start[i]..end];
        }
    }

    /// <summary>Every combination of the Windows dash characters at each option-dash position (as pySigma: <c>\B[-/]\b</c>).</summary>
    private static IEnumerable<GlobPattern> Windash(GlobPattern p, RawValue v)
    {
        IEnumerable<List<GlobToken>> variants = [[]];
        foreach (var t in p.Tokens)
        {
            if (t.Kind != GlobTokenKind.Literal)
            {
                variants = variants.Select(l => new List<GlobToken>(l) { t });
                continue;
            }
            var places = WindashPlaces().Matches(t.Text);
            if (places.Count > 4)
            {
                throw new RuleParseException($"windash on a value with {places.Count} dashes would create too many variants", v.Line, v.Column, unsupported: true);
            }
            IEnumerable<string> texts = [""];
            var pos = 0;
            foreach (Match m in places)
            {
                var before = t.Text[pos..m.Index];
                texts = texts.SelectMany(s => _dashes.Select(d => s + before + d));
                pos = m.Index + 1;
            }
            var rest = t.Text[pos..];
            var textList = texts.Select(s => s + rest).ToList();
            variants = variants.SelectMany(l => textList.Select(s => new List<GlobToken>(l) { new(GlobTokenKind.Literal, s) }));
        }
        return variants.Select(GlobPattern.FromTokens).ToList();
    }
}
