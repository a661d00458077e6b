namespace Siem.Rules.Evaluation;

/// <summary>
/// Case-insensitive (invariant upper-case folding, like OrdinalIgnoreCase) multi-pattern substring search.
/// Built as a full DFA over the pattern alphabet (every other char is one "other" column), so matching is
/// one table lookup per input char with no failure-link walking and no allocation.
/// </summary>
internal sealed class AhoCorasick
{
    private readonly int[] _table;
    private readonly bool[] _accept;
    private readonly int _columns;
    private readonly byte[] _asciiColumn = new byte[128];
    private readonly Dictionary<char, int> _otherColumns = [];
    private readonly bool _matchesEmpty;

    public AhoCorasick(IReadOnlyList<string> patterns)
    {
        var alphabet = patterns.SelectMany(p => p).Select(Fold).Distinct().Order().ToList();
        if (alphabet.Count > 250)
        {
            throw new ArgumentException("too many distinct characters for the automaton", nameof(patterns));
        }
        _columns = alphabet.Count + 1; // column 0 = any char not in a pattern
        for (var i = 0; i < alphabet.Count; i++)
        {
            if (alphabet[i] < 128)
            {
                _asciiColumn[alphabet[i]] = (byte)(i + 1);
            }
            else
            {
                _otherColumns[alphabet[i]] = i + 1;
            }
        }

        // Trie.
        var next = new List<int[]> { new int[_columns] };
        var accept = new List<bool> { false };
        foreach (var p in patterns)
        {
            if (p.Length == 0)
            {
                _matchesEmpty = true;
                continue;
            }
            var s = 0;
            foreach (var c in p)
            {
                var col = Column(Fold(c));
                if (next[s][col] == 0)
                {
                    next.Add(new int[_columns]);
                    accept.Add(false);
                    next[s][col] = next.Count - 1;
                }
                s = next[s][col];
            }
            accept[s] = true;
        }

        // Breadth-first: fill missing transitions from the failure state (classic DFA construction).
        var fail = new int[next.Count];
        var queue = new Queue<int>();
        for (var col = 0; col < _columns; col++)
        {
            if (next[0][col] != 0)
            {
                queue.Enqueue(next[0][col]);
            }
        }
        while (queue.Count > 0)
        {
            var s = queue.Dequeue();
            accept[s] |= accept[fail[s]];
            for (var col = 0; col < _columns; col++)
            {
                var t = next[s][col];
                if (t != 0)
                {
                    fail[t] = next[fail[s]][col];
                    queue.Enqueue(t);
                }
                else
                {
                    next[s][col] = next[fail[s]][col];
                }
            }
        }
        _table = new int[next.Count * _columns];
        for (var s = 0; s < next.Count; s++)
        {
            Array.Copy(next[s], 0, _table, s * _columns, _columns);
        }
        _accept = [.. accept];
    }

    public bool ContainsAny(ReadOnlySpan<char> text)
    {
        if (_matchesEmpty)
        {
            return true;
        }
        var s = 0;
        var table = _table;
        var accept = _accept;
        foreach (var c in text)
        {
            int col;
            if (c < 128)
            {
                col = _asciiColumn[c is >= 'a' and <= 'z' ? c - 32 : c];
            }
            else
            {
                var f = char.ToUpperInvariant(c);
                col = f < 128 ? _asciiColumn[f] : _otherColumns.TryGetValue(f, out var oc) ? oc : 0;
            }
            s = table[(s * _columns) + col];
            if (accept[s])
            {
                return true;
            }
        }
        return false;
    }

    private int Column(char folded) => folded < 128 ? _asciiColumn[folded] : _otherColumns[folded];

    private static char Fold(char c) => char.ToUpperInvariant(c);
}
