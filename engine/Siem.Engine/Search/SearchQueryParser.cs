using System.Text;

namespace Siem.Engine.Search;

/// <summary>
/// Parses the search language:
/// <list type="bullet">
/// <item><c>field:value</c> exact, case-insensitive; <c>field:"a value"</c>; <c>*</c> wildcard in unquoted values; <c>field:*</c> = has the field.</item>
/// <item><c>"quoted phrase"</c> and bare words: full text over message and key fields (a trailing <c>*</c> is a prefix).</item>
/// <item><c>AND</c>, <c>OR</c>, <c>NOT</c> (upper case; lower case are ordinary words), a leading <c>-</c> negates, adjacent terms are ANDed,
/// parentheses group. Precedence: NOT, then AND, then OR.</item>
/// </list>
/// Errors carry the 1-based position of the problem.
/// </summary>
public static class SearchQueryParser
{
    public static QueryNode Parse(string query)
    {
        ArgumentNullException.ThrowIfNull(query);
        var p = new Parser(query);
        p.SkipSpace();
        if (p.AtEnd) throw new SearchQueryException("the query is empty (use * to match everything)", 1);
        var node = p.ParseOr();
        p.SkipSpace();
        if (!p.AtEnd)
        {
            throw p.Peek() == ')'
                ? new SearchQueryException("unexpected ')' without a matching '('", p.Pos + 1)
                : new SearchQueryException($"unexpected '{p.Peek()}'", p.Pos + 1);
        }
        return node;
    }

    private sealed class Parser(string text)
    {
        private readonly string _text = text;
        public int Pos;
        private int _depth;

        public bool AtEnd => Pos >= _text.Length;
        public char Peek() => _text[Pos];

        public void SkipSpace()
        {
            while (!AtEnd && char.IsWhiteSpace(_text[Pos])) Pos++;
        }

        public QueryNode ParseOr()
        {
            var left = ParseAnd();
            while (TryKeyword("OR"))
            {
                left = new OrNode(left, ParseAnd());
            }
            return left;
        }

        private QueryNode ParseAnd()
        {
            var left = ParseUnary();
            while (true)
            {
                SkipSpace();
                if (AtEnd || Peek() == ')' || IsKeywordAhead("OR")) return left;
                TryKeyword("AND");
                left = new AndNode(left, ParseUnary());
            }
        }

        private QueryNode ParseUnary()
        {
            SkipSpace();
            if (TryKeyword("NOT")) return new NotNode(ParseUnary());
            if (!AtEnd && Peek() == '-' && Pos + 1 < _text.Length && !char.IsWhiteSpace(_text[Pos + 1]))
            {
                Pos++;
                return new NotNode(ParseUnary());
            }
            return ParsePrimary();
        }

        private QueryNode ParsePrimary()
        {
            SkipSpace();
            if (AtEnd) throw new SearchQueryException("expected a term, but the query ends here", Pos + 1);
            int start = Pos;
            char c = Peek();
            if (c == '(')
            {
                Pos++;
                if (++_depth > 64) throw new SearchQueryException("parentheses nested too deeply", start + 1);
                SkipSpace();
                if (!AtEnd && Peek() == ')') throw new SearchQueryException("empty parentheses", start + 1);
                var inner = ParseOr();
                SkipSpace();
                if (AtEnd || Peek() != ')') throw new SearchQueryException($"missing ')' for the '(' at position {start + 1}", Pos + 1);
                Pos++;
                _depth--;
                return inner;
            }
            if (c == ')') throw new SearchQueryException("unexpected ')': expected a term", start + 1);
            if (c == '"') return new TextNode(ReadQuoted(), IsPhrase: true, IsPrefix: false);

            string word = ReadWord();
            if (word is "AND" or "OR") throw new SearchQueryException($"'{word}' needs a term before it", start + 1);
            int colon = word.IndexOf(':', StringComparison.Ordinal);
            if (colon > 0 && IsFieldName(word.AsSpan(0, colon)))
            {
                string field = word[..colon];
                string rest = word[(colon + 1)..];
                if (rest.Length == 0)
                {
                    if (!AtEnd && Peek() == '"') return new FieldNode(field, ReadQuoted(), HasWildcard: false);
                    throw new SearchQueryException($"expected a value after '{field}:'", Pos + 1);
                }
                return new FieldNode(field, rest, rest.Contains('*', StringComparison.Ordinal));
            }
            if (word == "*") return new MatchAllNode();
            int star = word.IndexOf('*', StringComparison.Ordinal);
            if (star >= 0 && star != word.Length - 1)
                throw new SearchQueryException($"'*' is only allowed at the end of a free-text word (prefix search) or in a field:value", start + star + 1);
            string text = star >= 0 ? word[..^1] : word;
            if (!text.Any(char.IsLetterOrDigit))
                throw new SearchQueryException($"'{word}' has no letters or digits to search for", start + 1);
            return new TextNode(text, IsPhrase: false, IsPrefix: star >= 0);
        }

        private string ReadWord()
        {
            int start = Pos;
            while (!AtEnd && !char.IsWhiteSpace(Peek()) && Peek() is not ('(' or ')' or '"')) Pos++;
            return _text[start..Pos];
        }

        private string ReadQuoted()
        {
            int start = Pos;
            Pos++; // opening quote
            var sb = new StringBuilder();
            while (!AtEnd)
            {
                char c = _text[Pos++];
                if (c == '\\' && !AtEnd && _text[Pos] is '"' or '\\')
                {
                    sb.Append(_text[Pos++]);
                }
                else if (c == '"')
                {
                    if (sb.Length == 0) throw new SearchQueryException("empty quoted phrase", start + 1);
                    return sb.ToString();
                }
                else
                {
                    sb.Append(c);
                }
            }
            throw new SearchQueryException("unterminated quoted phrase (missing closing \")", start + 1);
        }

        private bool IsKeywordAhead(string keyword)
        {
            if (string.CompareOrdinal(_text, Pos, keyword, 0, keyword.Length) != 0) return false;
            int end = Pos + keyword.Length;
            return end == _text.Length || char.IsWhiteSpace(_text[end]) || _text[end] is '(' or '"';
        }

        private bool TryKeyword(string keyword)
        {
            SkipSpace();
            if (!IsKeywordAhead(keyword)) return false;
            int at = Pos;
            Pos += keyword.Length;
            SkipSpace();
            if (AtEnd || Peek() == ')') throw new SearchQueryException($"'{keyword}' must be followed by a term", at + 1);
            return true;
        }

        private static bool IsFieldName(ReadOnlySpan<char> s)
        {
            foreach (char ch in s)
            {
                if (!(char.IsAsciiLetterOrDigit(ch) || ch is '_' or '.' or '@' or '-')) return false;
            }
            return true;
        }
    }
}
