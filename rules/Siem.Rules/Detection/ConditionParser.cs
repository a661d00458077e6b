using System.Text.RegularExpressions;

namespace Siem.Rules.Detection;

/// <summary>
/// Recursive-descent parser for Sigma conditions: <c>or</c> &lt; <c>and</c> &lt; <c>not</c>, parentheses,
/// <c>1 of x*</c>, <c>all of x*</c>, <c>N of ...</c>, <c>1 of them</c> / <c>all of them</c> (them excludes identifiers
/// starting with <c>_</c>). Identifier names are case-sensitive as in YAML.
/// </summary>
internal sealed class ConditionParser
{
    private readonly List<string> _tokens;
    private readonly IReadOnlyCollection<string> _identifiers;
    private readonly string _text;
    private int _pos;

    private ConditionParser(string text, IReadOnlyCollection<string> identifiers)
    {
        _text = text;
        _identifiers = identifiers;
        _tokens = Tokenise(text);
    }

    /// <summary>Parses one condition string; throws <see cref="FormatException"/> with a message naming the problem.</summary>
    public static ConditionNode Parse(string text, IReadOnlyCollection<string> identifiers)
    {
        var p = new ConditionParser(text, identifiers);
        if (p._tokens.Count == 0)
        {
            throw new FormatException("condition is empty");
        }
        var node = p.ParseOr();
        if (p._pos < p._tokens.Count)
        {
            throw new FormatException($"unexpected '{p._tokens[p._pos]}' in condition '{text}'");
        }
        return node;
    }

    private static List<string> Tokenise(string text)
    {
        var tokens = new List<string>();
        var i = 0;
        while (i < text.Length)
        {
            var c = text[i];
            if (char.IsWhiteSpace(c))
            {
                i++;
            }
            else if (c is '(' or ')')
            {
                tokens.Add(c.ToString());
                i++;
            }
            else if (c == '|')
            {
                // Sigma 1.0 aggregations ("| count() by x > 5") were replaced by correlation rules.
                throw new FormatException("aggregation expressions ('| count() ...') are deprecated; use a correlation rule");
            }
            else
            {
                var start = i;
                while (i < text.Length && !char.IsWhiteSpace(text[i]) && text[i] is not '(' and not ')')
                {
                    i++;
                }
                tokens.Add(text[start..i]);
            }
        }
        return tokens;
    }

    private string? Peek => _pos < _tokens.Count ? _tokens[_pos] : null;

    private bool IsKeyword(string? t, string keyword) => t is not null && t.Equals(keyword, StringComparison.OrdinalIgnoreCase);

    private ConditionNode ParseOr()
    {
        var list = new List<ConditionNode> { ParseAnd() };
        while (IsKeyword(Peek, "or"))
        {
            _pos++;
            list.Add(ParseAnd());
        }
        return list.Count == 1 ? list[0] : new OrNode(list);
    }

    private ConditionNode ParseAnd()
    {
        var list = new List<ConditionNode> { ParseNot() };
        while (IsKeyword(Peek, "and"))
        {
            _pos++;
            list.Add(ParseNot());
        }
        return list.Count == 1 ? list[0] : new AndNode(list);
    }

    private ConditionNode ParseNot()
    {
        if (IsKeyword(Peek, "not"))
        {
            _pos++;
            return new NotNode(ParseNot());
        }
        return ParsePrimary();
    }

    private ConditionNode ParsePrimary()
    {
        var t = Peek ?? throw new FormatException($"condition '{_text}' ends unexpectedly");
        if (t == "(")
        {
            _pos++;
            var inner = ParseOr();
            if (Peek != ")")
            {
                throw new FormatException($"missing ')' in condition '{_text}'");
            }
            _pos++;
            return inner;
        }
        if (t == ")" || IsKeyword(t, "and") || IsKeyword(t, "or"))
        {
            throw new FormatException($"unexpected '{t}' in condition '{_text}'");
        }
        if (_pos + 1 < _tokens.Count && IsKeyword(_tokens[_pos + 1], "of") && (IsKeyword(t, "all") || IsKeyword(t, "any") || int.TryParse(t, out _)))
        {
            _pos += 2;
            var target = Peek ?? throw new FormatException($"'{t} of' needs a pattern or 'them' in condition '{_text}'");
            _pos++;
            List<string> names;
            if (IsKeyword(target, "them"))
            {
                names = _identifiers.Where(n => !n.StartsWith('_')).ToList();
            }
            else
            {
                var re = new Regex("^" + Regex.Escape(target).Replace("\\*", ".*", StringComparison.Ordinal).Replace("\\?", ".", StringComparison.Ordinal) + "$", RegexOptions.CultureInvariant);
                names = _identifiers.Where(n => re.IsMatch(n)).ToList();
            }
            if (names.Count == 0)
            {
                throw new FormatException($"'{t} of {target}' matches no search identifier");
            }
            var count = IsKeyword(t, "all") ? names.Count : IsKeyword(t, "any") ? 1 : int.Parse(t, System.Globalization.CultureInfo.InvariantCulture);
            if (count < 1)
            {
                throw new FormatException($"'{t} of' needs a count of at least 1");
            }
            return new OfNode(count, names);
        }
        if (!_identifiers.Contains(t))
        {
            throw new FormatException($"condition references '{t}', which is not a search identifier of this detection");
        }
        _pos++;
        return new IdentifierNode(t);
    }
}
