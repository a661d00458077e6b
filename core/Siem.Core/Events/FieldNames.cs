using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Unicode;

namespace Siem.Core.Events;

/// <summary>
/// Field names read from batches, one string per distinct name: every event carries the same dozen names, and a new
/// string for each of them was a fifth of what decoding allocated. Bounded, so a hostile agent inventing names cannot
/// grow it: past <see cref="Capacity"/> distinct names, new ones are simply allocated per event as before.
/// </summary>
internal static class FieldNames
{
    internal const int Capacity = 4096;
    private const int MaxLength = 128;

    private static readonly ConcurrentDictionary<string, string> Known = new(StringComparer.Ordinal);
    private static readonly ConcurrentDictionary<string, string>.AlternateLookup<ReadOnlySpan<char>> KnownBySpan = Known.GetAlternateLookup<ReadOnlySpan<char>>();

    /// <summary>The property name the reader is on, as a shared string when it is a known (or new and storable) name.</summary>
    public static string Get(ref Utf8JsonReader r)
    {
        if (r.ValueIsEscaped || r.HasValueSequence || r.ValueSpan.Length > MaxLength) return r.GetString()!;
        Span<char> chars = stackalloc char[MaxLength];
        // Invalid UTF-8 is left to GetString, which throws what the decoder reports for it.
        if (Utf8.ToUtf16(r.ValueSpan, chars, out _, out int written, replaceInvalidSequences: false) != System.Buffers.OperationStatus.Done)
            return r.GetString()!;
        var name = chars[..written];
        if (KnownBySpan.TryGetValue(name, out var known)) return known;
        var created = name.ToString();
        return Known.Count < Capacity ? Known.GetOrAdd(created, created) : created;
    }
}
