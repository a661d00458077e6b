namespace Siem.Rules.Evaluation;

/// <summary>Assigns a slot to every field name the compiled rules read; event fields are looked up case-insensitively once per event.</summary>
internal sealed class FieldTable
{
    private readonly Dictionary<string, int> _ids = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<(int Slot, string Name)>> _byName = new(StringComparer.OrdinalIgnoreCase);
    private Dictionary<string, (int, string)[]>? _frozen;

    private readonly List<ulong> _keys = [];

    public int Count => _ids.Count;

    /// <summary>A random 64-bit key per slot; the XOR of the keys of present slots identifies an event's field set.</summary>
    public ulong[] SlotKeys { get; private set; } = [];

    public int Slot(string field)
    {
        if (_frozen is not null)
        {
            throw new InvalidOperationException("field table is frozen");
        }
        if (!_ids.TryGetValue(field, out var id))
        {
            id = _ids.Count;
            _ids[field] = id;
            _keys.Add((ulong)Random.Shared.NextInt64() ^ ((ulong)Random.Shared.NextInt64() << 1));
            if (!_byName.TryGetValue(field, out var list))
            {
                _byName[field] = list = [];
            }
            list.Add((id, field));
        }
        return id;
    }

    public void Freeze()
    {
        SlotKeys = [.. _keys];
        FreezeNames();
    }

    private void FreezeNames() => _frozen = _byName.ToDictionary(kv => kv.Key, kv => kv.Value.ToArray(), StringComparer.OrdinalIgnoreCase);

    public bool TryGetSlots(string eventField, out (int Slot, string Name)[] slots) => _frozen!.TryGetValue(eventField, out slots!);

    public bool TryGetId(string field, out int id) => _ids.TryGetValue(field, out id);
}
