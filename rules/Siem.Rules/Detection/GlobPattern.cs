using System.Text;

namespace Siem.Rules.Detection;

internal enum GlobTokenKind
{
    Literal,
    Star,
    Question,
}

internal readonly record struct GlobToken(GlobTokenKind Kind, string Text);

/// <summary>
/// A Sigma string value: literal runs and the wildcards <c>*</c> (any run) and <c>?</c> (one char).
/// Escaping per the rules specification: <c>\*</c>, <c>\?</c> and <c>\\</c> are literals; a backslash before any
/// other character is itself a literal (so <c>C:\Windows\</c> needs no escaping).
/// </summary>
internal sealed class GlobPattern
{
    private GlobPattern(IReadOnlyList<GlobToken> tokens) => Tokens = tokens;

    public IReadOnlyList<GlobToken> Tokens { get; }

    public bool IsLiteral => Tokens.All(t => t.Kind == GlobTokenKind.Literal);

    /// <summary>The concatenated literal text (only meaningful when <see cref="IsLiteral"/>).</summary>
    public string LiteralText => string.Concat(Tokens.Select(t => t.Text));

    public static GlobPattern Literal(string text) => new(text.Length == 0 ? [] : [new GlobToken(GlobTokenKind.Literal, text)]);

    public static GlobPattern FromTokens(IEnumerable<GlobToken> tokens) => new(Normalise(tokens));

    public static GlobPattern Parse(string raw)
    {
        var tokens = new List<GlobToken>();
        var sb = new StringBuilder();
        for (var i = 0; i < raw.Length; i++)
        {
            var c = raw[i];
            if (c == '\\' && i + 1 < raw.Length && raw[i + 1] is '*' or '?' or '\\')
            {
                sb.Append(raw[i + 1]);
                i++;
            }
            else if (c is '*' or '?')
            {
                Flush();
                tokens.Add(new GlobToken(c == '*' ? GlobTokenKind.Star : GlobTokenKind.Question, ""));
            }
            else
            {
                sb.Append(c);
            }
        }
        Flush();
        return new GlobPattern(Normalise(tokens));

        void Flush()
        {
            if (sb.Length > 0)
            {
                tokens.Add(new GlobToken(GlobTokenKind.Literal, sb.ToString()));
                sb.Clear();
            }
        }
    }

    public GlobPattern Wrap(bool leadingStar, bool trailingStar)
    {
        var list = new List<GlobToken>();
        if (leadingStar)
        {
            list.Add(new GlobToken(GlobTokenKind.Star, ""));
        }
        list.AddRange(Tokens);
        if (trailingStar)
        {
            list.Add(new GlobToken(GlobTokenKind.Star, ""));
        }
        return new GlobPattern(Normalise(list));
    }

    /// <summary>Merges adjacent literals and collapses runs of stars.</summary>
    private static List<GlobToken> Normalise(IEnumerable<GlobToken> tokens)
    {
        var list = new List<GlobToken>();
        foreach (var t in tokens)
        {
            if (t.Kind == GlobTokenKind.Literal && t.Text.Length == 0)
            {
                continue;
            }
            if (list.Count > 0)
            {
                var last = list[^1];
                if (t.Kind == GlobTokenKind.Literal && last.Kind == GlobTokenKind.Literal)
                {
                    list[^1] = new GlobToken(GlobTokenKind.Literal, last.Text + t.Text);
                    continue;
                }
                if (t.Kind == GlobTokenKind.Star && last.Kind == GlobTokenKind.Star)
                {
                    continue;
                }
            }
            list.Add(t);
        }
        return list;
    }

    public override string ToString() => string.Concat(Tokens.Select(t => t.Kind switch
    {
        GlobTokenKind.Star => "*",
        GlobTokenKind.Question => "?",
        _ => t.Text.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("*", "\\*", StringComparison.Ordinal).Replace("?", "\\?", StringComparison.Ordinal),
    }));
}
