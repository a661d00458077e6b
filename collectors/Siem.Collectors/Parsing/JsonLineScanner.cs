using Siem.Core.Events;

namespace Siem.Collectors.Parsing;

/// <summary>
/// Reads one JSON line without exceptions. <see cref="Check"/> says whether the line is one JSON object that
/// <c>JsonDocument</c> reads and whose strings <c>GetString</c> can decode; if not, where it stops being JSON and why,
/// or which characters stand in the way of decoding (lone UTF-16 surrogates, raw or escaped like <c>\ud800</c>, and a
/// leading byte-order mark): <see cref="Sanitize"/> replaces those, position for position, so the line can be read as a
/// document after all. <see cref="FlattenPrefix"/> keeps the fields of a broken line up to where it breaks, flattened
/// the way <see cref="JsonFlattener"/> flattens a whole document.
/// </summary>
/// <remarks>JsonDocument throws on bad input (~0.3 % of fuzzed lines paid for an exception and lost every field).</remarks>
internal ref partial struct JsonLineScanner
{
    private readonly ReadOnlySpan<char> _s;
    private readonly int _maxDepth;
    private readonly LogEvent? _emit;
    private List<(int At, int Length)>? _replace;
    private int _p;

    private JsonLineScanner(ReadOnlySpan<char> text, int maxDepth, LogEvent? emit)
    {
        _s = text;
        _maxDepth = maxDepth;
        _emit = emit;
    }

    /// <summary>What went wrong at <see cref="ErrorAt"/> (a character index), or null when the line is one JSON object.</summary>
    public string? Error { get; private set; }

    public int ErrorAt { get; private set; }

    /// <summary>True when the line is valid only once <see cref="Sanitize"/> replaced some characters.</summary>
    public readonly bool NeedsSanitizing => _replace is { Count: > 0 };

    public static JsonLineScanner Check(string text, int maxDepth)
    {
        var scanner = new JsonLineScanner(text, maxDepth, emit: null);
        scanner.Document();
        return scanner;
    }

    /// <summary>Adds the fields of <paramref name="text"/> up to its first error to <paramref name="e"/>; fields already set are kept.</summary>
    public static void FlattenPrefix(string text, int maxDepth, LogEvent e)
    {
        ArgumentNullException.ThrowIfNull(e);
        var read = new LogEvent { RecordId = "" };
        var scanner = new JsonLineScanner(text, maxDepth, read);
        scanner.Document();
        foreach (var (name, value) in read.Fields)
        {
            e.Fields.TryAdd(name, value);
        }
    }

    /// <summary>The line with each lone surrogate (raw, or a 6-character escape) as U+FFFD and a leading BOM as a space; same length.</summary>
    public readonly string Sanitize(string text)
    {
        if (_replace is null)
        {
            return text;
        }
        var chars = text.ToCharArray();
        foreach (var (at, length) in _replace)
        {
            if (length == 6)
            {
                "\\uFFFD".CopyTo(chars.AsSpan(at));
            }
            else
            {
                chars[at] = chars[at] == '\uFEFF' ? ' ' : '\uFFFD';
            }
        }
        return new string(chars);
    }

    private void Document()
    {
        if (_p < _s.Length && _s[_p] == '\uFEFF')
        {
            Replace(_p++, 1);
        }
        SkipWhitespace();
        if (_p >= _s.Length || _s[_p] != '{')
        {
            Fail("expected a JSON object");
            return;
        }
        if (!Value("", 0))
        {
            return;
        }
        SkipWhitespace();
        if (_p < _s.Length)
        {
            Fail("unexpected text after the object");
        }
    }

    /// <param name="prefix">Dotted field name for what this value holds; null when nothing is to be emitted.</param>
    private bool Value(string? prefix, int depth)
    {
        SkipWhitespace();
        if (_p >= _s.Length)
        {
            return Fail("expected a value, the line ended");
        }
        switch (_s[_p])
        {
            case '{':
                return Object(prefix, depth);
            case '[':
                return Array(prefix, depth);
            default:
                if (!Scalar(prefix is { Length: > 0 } && _emit is not null, out var text))
                {
                    return false;
                }
                if (text is not null && prefix is { Length: > 0 })
                {
                    _emit?.Set(prefix, text); // a repeated name: the last value wins, as in JsonFlattener
                }
                return true;
        }
    }

    private bool Object(string? prefix, int depth)
    {
        if (depth >= _maxDepth)
        {
            return Fail($"nested deeper than {_maxDepth} levels");
        }
        _p++;
        SkipWhitespace();
        if (_p < _s.Length && _s[_p] == '}')
        {
            _p++;
            return true;
        }
        while (true)
        {
            SkipWhitespace();
            if (_p >= _s.Length || _s[_p] != '"')
            {
                return Fail("expected a property name in quotes");
            }
            if (!String(decode: prefix is not null && _emit is not null, out var name))
            {
                return false;
            }
            SkipWhitespace();
            if (_p >= _s.Length || _s[_p] != ':')
            {
                return Fail("expected ':' after the property name");
            }
            _p++;
            string? child = name is null ? null : prefix!.Length == 0 ? name : prefix + "." + name;
            if (!Value(child, depth + 1))
            {
                return false;
            }
            SkipWhitespace();
            if (_p < _s.Length && _s[_p] == ',')
            {
                _p++;
                continue;
            }
            if (_p < _s.Length && _s[_p] == '}')
            {
                _p++;
                return true;
            }
            return Fail("expected ',' or '}'");
        }
    }

    /// <summary>Scalars only: string[] (nulls left out); with an object or array inside: the array's JSON text.</summary>
    private bool Array(string? prefix, int depth)
    {
        if (depth >= _maxDepth)
        {
            return Fail($"nested deeper than {_maxDepth} levels");
        }
        int start = _p++;
        bool emit = prefix is { Length: > 0 } && _emit is not null;
        List<string>? scalars = emit ? [] : null;
        bool allScalars = true;
        SkipWhitespace();
        if (_p < _s.Length && _s[_p] == ']')
        {
            _p++;
        }
        else
        {
            while (true)
            {
                SkipWhitespace();
                if (_p < _s.Length && _s[_p] is '{' or '[')
                {
                    allScalars = false;
                    if (!Value(null, depth + 1))
                    {
                        return false;
                    }
                }
                else
                {
                    if (!Scalar(emit && allScalars, out var text))
                    {
                        return false;
                    }
                    if (text is not null)
                    {
                        scalars?.Add(text);
                    }
                }
                SkipWhitespace();
                if (_p < _s.Length && _s[_p] == ',')
                {
                    _p++;
                    continue;
                }
                if (_p < _s.Length && _s[_p] == ']')
                {
                    _p++;
                    break;
                }
                return Fail("expected ',' or ']'");
            }
        }
        if (emit)
        {
            _emit!.Fields[prefix!] = allScalars ? scalars!.ToArray() : _s[start.._p].ToString();
        }
        return true;
    }

    /// <summary>A string, number, true, false or null; <paramref name="text"/> as <see cref="JsonFlattener.Scalar"/> gives it (null for null or when not decoding).</summary>
    private bool Scalar(bool decode, out string? text)
    {
        text = null;
        if (_p >= _s.Length)
        {
            return Fail("expected a value, the line ended");
        }
        char c = _s[_p];
        if (c == '"')
        {
            return String(decode, out text);
        }
        if (c == '-' || char.IsAsciiDigit(c))
        {
            int start = _p;
            if (!Number())
            {
                return false;
            }
            text = decode ? _s[start.._p].ToString() : null;
            return true;
        }
        foreach (var (literal, value) in Literals)
        {
            if (_s[_p..].StartsWith(literal, StringComparison.Ordinal))
            {
                _p += literal.Length;
                text = decode ? value : null;
                return true;
            }
        }
        return Fail("expected a value");
    }

    private static readonly (string Literal, string? Value)[] Literals = [("true", "true"), ("false", "false"), ("null", null)];

    private bool Number()
    {
        if (_s[_p] == '-')
        {
            _p++;
        }
        if (_p < _s.Length && _s[_p] == '0')
        {
            _p++;
        }
        else if (!Digits())
        {
            return Fail("expected a digit");
        }
        if (_p < _s.Length && _s[_p] == '.')
        {
            _p++;
            if (!Digits())
            {
                return Fail("expected a digit after '.'");
            }
        }
        if (_p < _s.Length && _s[_p] is 'e' or 'E')
        {
            _p++;
            if (_p < _s.Length && _s[_p] is '+' or '-')
            {
                _p++;
            }
            if (!Digits())
            {
                return Fail("expected a digit in the exponent");
            }
        }
        return true;
    }

    private bool Digits()
    {
        int start = _p;
        while (_p < _s.Length && char.IsAsciiDigit(_s[_p]))
        {
            _p++;
        }
        return _p > start;
    }

    private void SkipWhitespace()
    {
        while (_p < _s.Length && _s[_p] is ' ' or '\t' or '\r' or '\n')
        {
            _p++;
        }
    }

    private void Replace(int at, int length) => (_replace ??= []).Add((at, length));

    private bool Fail(string what)
    {
        if (Error is null)
        {
            Error = what;
            ErrorAt = _p;
        }
        return false;
    }
}
