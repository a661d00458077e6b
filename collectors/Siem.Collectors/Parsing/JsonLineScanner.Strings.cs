using System.Globalization;
using System.Text;

namespace Siem.Collectors.Parsing;

internal ref partial struct JsonLineScanner
{
    /// <summary>A string at the opening quote; lone surrogates (raw or escaped) decode as U+FFFD and are noted for <see cref="Sanitize"/>.</summary>
    private bool String(bool decode, out string? value)
    {
        value = null;
        int start = ++_p;
        int run = start;
        StringBuilder? decoded = null; // only once an escape or a replacement makes the text differ from the slice
        while (true)
        {
            if (_p >= _s.Length)
            {
                return Fail("unterminated string");
            }
            char c = _s[_p];
            if (c == '"')
            {
                if (decode)
                {
                    value = decoded is null ? _s[start.._p].ToString() : decoded.Append(_s[run.._p]).ToString();
                }
                _p++;
                return true;
            }
            if (c < ' ')
            {
                return Fail("control character in a string (it must be escaped)");
            }
            if (c == '\\')
            {
                int at = _p;
                if (!Escape(out char first, out char second, out int length))
                {
                    return false;
                }
                if (decode)
                {
                    decoded ??= new StringBuilder(_p - start + 16);
                    decoded.Append(_s[run..at]).Append(first);
                    if (second != '\0')
                    {
                        decoded.Append(second);
                    }
                }
                _p = at + length;
                run = _p;
                continue;
            }
            if (char.IsSurrogate(c))
            {
                if (char.IsHighSurrogate(c) && _p + 1 < _s.Length && char.IsLowSurrogate(_s[_p + 1]))
                {
                    _p += 2;
                    continue;
                }
                Replace(_p, 1);
                if (decode)
                {
                    decoded ??= new StringBuilder(_p - start + 16);
                    decoded.Append(_s[run.._p]).Append('\uFFFD');
                }
                _p++;
                run = _p;
                continue;
            }
            _p++;
        }
    }

    /// <summary>The escape at <c>_p</c>: one character, or two for an escaped surrogate pair (12 characters of text).</summary>
    private bool Escape(out char first, out char second, out int length)
    {
        second = '\0';
        length = 2;
        first = _p + 1 < _s.Length ? _s[_p + 1] switch
        {
            '"' => '"',
            '\\' => '\\',
            '/' => '/',
            'b' => '\b',
            'f' => '\f',
            'n' => '\n',
            'r' => '\r',
            't' => '\t',
            _ => '\0',
        } : '\0';
        if (first != '\0')
        {
            return true;
        }
        if (_p + 1 >= _s.Length || _s[_p + 1] != 'u')
        {
            return Fail("invalid escape in a string");
        }
        if (!Hex4(_p + 2, out char unit))
        {
            return Fail("\\u must be followed by four hex digits");
        }
        length = 6;
        first = unit;
        if (!char.IsSurrogate(unit))
        {
            return true;
        }
        if (char.IsHighSurrogate(unit) && _p + 11 < _s.Length && _s[_p + 6] == '\\' && _s[_p + 7] == 'u'
            && Hex4(_p + 8, out char low) && char.IsLowSurrogate(low))
        {
            second = low;
            length = 12;
            return true;
        }
        // A lone surrogate escape: valid JSON text, but no string can hold it (JsonElement.GetString throws).
        Replace(_p, 6);
        first = '\uFFFD';
        return true;
    }

    private readonly bool Hex4(int at, out char unit)
    {
        unit = '\0';
        if (at + 4 > _s.Length || !ushort.TryParse(_s.Slice(at, 4), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out ushort value))
        {
            return false;
        }
        unit = (char)value;
        return true;
    }
}
