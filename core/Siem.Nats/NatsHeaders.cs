using System.Buffers;
using System.Collections;
using System.Text;

namespace Siem.Nats;

/// <summary>Message headers (NATS/1.0, like HTTP/1 headers). Keys compare case-insensitively and keep their spelling on
/// the wire; a key may have several values. <see cref="Code"/>/<see cref="Description"/> come from a status line such as
/// <c>NATS/1.0 503 No Responders</c> (0 / null when absent).</summary>
public sealed class NatsHeaders : IEnumerable<KeyValuePair<string, IReadOnlyList<string>>>
{
    private static ReadOnlySpan<byte> Version => "NATS/1.0"u8;
    private readonly List<KeyValuePair<string, List<string>>> _entries = [];

    public NatsHeaders() { }

    internal NatsHeaders(int code, string? description)
    {
        Code = code;
        Description = description;
    }

    public int Code { get; private set; }
    public string? Description { get; private set; }
    public int Count => _entries.Count;

    /// <summary>First value of <paramref name="key"/> (null when absent); setting replaces all values.</summary>
    public string? this[string key]
    {
        get
        {
            int i = IndexOf(key);
            return i < 0 ? null : _entries[i].Value[0];
        }
        set
        {
            int i = IndexOf(key);
            if (value is null)
            {
                if (i >= 0) _entries.RemoveAt(i);
                return;
            }
            Validate(key, value);
            if (i >= 0) _entries[i] = new(_entries[i].Key, [value]);
            else _entries.Add(new(key, [value]));
        }
    }

    /// <summary>Adds a value (keeps existing values of the same key).</summary>
    public void Add(string key, string value)
    {
        Validate(key, value);
        int i = IndexOf(key);
        if (i >= 0) _entries[i].Value.Add(value);
        else _entries.Add(new(key, [value]));
    }

    public bool TryGetValues(string key, out IReadOnlyList<string> values)
    {
        int i = IndexOf(key);
        values = i < 0 ? [] : _entries[i].Value;
        return i >= 0;
    }

    public bool ContainsKey(string key) => IndexOf(key) >= 0;

    public IEnumerator<KeyValuePair<string, IReadOnlyList<string>>> GetEnumerator()
    {
        foreach (var e in _entries) yield return new(e.Key, e.Value);
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    private int IndexOf(string key)
    {
        for (int i = 0; i < _entries.Count; i++)
        {
            if (string.Equals(_entries[i].Key, key, StringComparison.OrdinalIgnoreCase)) return i;
        }
        return -1;
    }

    private static void Validate(string key, string value)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        ArgumentNullException.ThrowIfNull(value);
        foreach (char c in key)
        {
            if (c <= ' ' || c == ':' || c > '~') throw new ArgumentException($"header name '{key}' contains '{c}'; names are printable ASCII without ':' or spaces", nameof(key));
        }
        if (value.Contains('\r', StringComparison.Ordinal) || value.Contains('\n', StringComparison.Ordinal))
            throw new ArgumentException($"header '{key}' value contains CR or LF", nameof(value));
    }

    /// <summary>Length of the serialised block (status line, headers, blank line).</summary>
    internal int GetByteCount()
    {
        int n = Version.Length + 2;
        foreach (var e in _entries)
        {
            int k = Encoding.UTF8.GetByteCount(e.Key);
            foreach (var v in e.Value) n += k + 2 + Encoding.UTF8.GetByteCount(v) + 2;
        }
        return n + 2;
    }

    internal int Write(Span<byte> dest)
    {
        Version.CopyTo(dest);
        int n = Version.Length;
        dest[n++] = (byte)'\r';
        dest[n++] = (byte)'\n';
        foreach (var e in _entries)
        {
            foreach (var v in e.Value)
            {
                n += Encoding.UTF8.GetBytes(e.Key, dest[n..]);
                dest[n++] = (byte)':';
                dest[n++] = (byte)' ';
                n += Encoding.UTF8.GetBytes(v, dest[n..]);
                dest[n++] = (byte)'\r';
                dest[n++] = (byte)'\n';
            }
        }
        dest[n++] = (byte)'\r';
        dest[n++] = (byte)'\n';
        return n;
    }

    /// <summary>Parses a received header block; throws <see cref="NatsProtocolException"/> naming the problem.</summary>
    internal static NatsHeaders Parse(in ReadOnlySequence<byte> block)
    {
        byte[]? rented = null;
        int len = checked((int)block.Length);
        Span<byte> buf = len <= 512 ? stackalloc byte[len] : (rented = ArrayPool<byte>.Shared.Rent(len)).AsSpan(0, len);
        try
        {
            block.CopyTo(buf);
            return Parse(buf);
        }
        finally
        {
            if (rented != null) ArrayPool<byte>.Shared.Return(rented);
        }
    }

    internal static NatsHeaders Parse(ReadOnlySpan<byte> block)
    {
        int eol = block.IndexOf("\r\n"u8);
        if (eol < 0 || !block.StartsWith(Version))
            throw new NatsProtocolException($"header block does not start with 'NATS/1.0\\r\\n': '{Encoding.UTF8.GetString(block[..Math.Min(block.Length, 40)])}'");
        var status = block[Version.Length..eol].Trim((byte)' ');
        int code = 0;
        string? description = null;
        if (!status.IsEmpty)
        {
            int sp = status.IndexOf((byte)' ');
            var codeSpan = sp < 0 ? status : status[..sp];
            if (!System.Buffers.Text.Utf8Parser.TryParse(codeSpan, out code, out int used) || used != codeSpan.Length)
                throw new NatsProtocolException($"header status line has a non-numeric code: '{Encoding.UTF8.GetString(status)}'");
            if (sp >= 0) description = Encoding.UTF8.GetString(status[(sp + 1)..].Trim((byte)' '));
        }
        var headers = new NatsHeaders(code, description);
        var rest = block[(eol + 2)..];
        while (true)
        {
            eol = rest.IndexOf("\r\n"u8);
            if (eol <= 0) break; // blank line (or a missing terminator) ends the block
            var line = rest[..eol];
            rest = rest[(eol + 2)..];
            int colon = line.IndexOf((byte)':');
            if (colon <= 0) throw new NatsProtocolException($"header line without 'name:': '{Encoding.UTF8.GetString(line)}'");
            var key = Encoding.UTF8.GetString(line[..colon].Trim((byte)' '));
            var value = Encoding.UTF8.GetString(line[(colon + 1)..].Trim((byte)' '));
            int i = headers.IndexOf(key);
            if (i >= 0) headers._entries[i].Value.Add(value);
            else headers._entries.Add(new(key, [value]));
        }
        return headers;
    }
}
