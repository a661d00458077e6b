using Siem.Core.Events;

namespace Siem.Rules.Evaluation;

/// <summary>
/// Per-thread scratch state for evaluating one event: the event's values of every field any rule uses, in slots
/// indexed by field id (filled once per event, reused across events: a generation stamp avoids clearing).
/// </summary>
internal sealed class MatchContext
{
    private readonly object?[] _values;
    private readonly int[] _generation;
    private readonly bool[] _exact;
    private readonly int[] _keywordHits;
    private readonly int[] _fieldHits;
    private int _keywordsScanned;
    private int _current;

    public MatchContext(int slotCount, int keywordCount = 0, int fieldLiteralCount = 0)
    {
        _fieldHits = new int[fieldLiteralCount];
        _keywordHits = new int[keywordCount];
        _values = new object?[slotCount];
        _generation = new int[slotCount];
        _exact = new bool[slotCount];
    }

    public LogEvent Event { get; private set; } = null!;

    /// <summary>Candidate rule lists by event logsource key (channel, event id, module); per thread so no locks.</summary>
    public Dictionary<(string?, string?, string?, string?, ulong), (CompiledRule[] Rules, KeywordScanner Scanner, (int Slot, KeywordScanner Scanner)[] Fields)> Candidates { get; } = [];

    /// <summary>XOR of the slot keys of the fields this event has (see <see cref="FieldTable.SlotKeys"/>).</summary>
    public ulong PresenceSignature { get; private set; }

    public bool Has(int slot) => _generation[slot] == _current;

    public void Load(LogEvent e, FieldTable table)
    {
        Event = e;
        Scanner = null;
        PresenceSignature = 0;
        var keys = table.SlotKeys;
        _current++;
        if (_current == int.MaxValue)
        {
            Array.Clear(_generation);
            Array.Clear(_keywordHits);
            Array.Clear(_fieldHits);
            _keywordsScanned = 0;
            _current = 1;
        }
        foreach (var (name, value) in e.Fields)
        {
            if (!table.TryGetSlots(name, out var slots))
            {
                continue;
            }
            foreach (var (slot, slotName) in slots)
            {
                // Exact field name wins over a case-insensitive match (Windows names are exact; JSON may vary case).
                var exact = string.Equals(slotName, name, StringComparison.Ordinal);
                if (_generation[slot] != _current)
                {
                    PresenceSignature ^= keys[slot];
                }
                if (_generation[slot] != _current || (exact && !_exact[slot]))
                {
                    _generation[slot] = _current;
                    _values[slot] = value;
                    _exact[slot] = exact;
                }
            }
        }
    }

    /// <summary>The shared keyword scan (see <see cref="KeywordIndex"/>) has run for the current event.</summary>
    public bool KeywordsScanned => _keywordsScanned == _current;

    /// <summary>Scans for the keyword literals of the rules being evaluated; null = all literals.</summary>
    public KeywordScanner? Scanner { get; set; }

    public void MarkKeywordsScanned() => _keywordsScanned = _current;

    public bool KeywordHit(int id) => _keywordHits[id] == _current;

    public void SetKeywordHit(int id) => _keywordHits[id] = _current;

    public void SetFieldHit(int id) => _fieldHits[id] = _current;

    /// <summary>One of these (field, literal) ids was found by the current event's <see cref="LiteralPrefilter"/> scan.</summary>
    public bool AnyFieldHit(int[] ids)
    {
        foreach (var id in ids)
        {
            if (_fieldHits[id] == _current)
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>The value in a slot (string or string[]), or null when the event does not have the field.</summary>
    public object? Get(int slot) => _generation[slot] == _current ? _values[slot] : null;
}
