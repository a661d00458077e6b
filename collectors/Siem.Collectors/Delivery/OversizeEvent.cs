using Siem.Core.Events;

namespace Siem.Collectors.Delivery;

/// <summary>
/// Keeps one event within a batch's byte budget. A line near the 1 MiB line cap is stored twice (<c>message</c> and
/// <c>event.original</c>), and a JSON line once more in its flattened fields, so its event alone can exceed the
/// server's max_payload; the server would refuse the whole batch and every record in it would be lost. Such an event
/// keeps the start of each long string instead, tagged <see cref="EcsFields.TruncatedTag"/> like a line cut by the
/// line cap.
/// </summary>
internal static class OversizeEvent
{
    /// <summary>Events whose line is shorter cannot come near the budget: the hot path looks no further.</summary>
    public const int CheckAboveChars = 32 * 1024;

    /// <summary>Shortest string a cut leaves (a budget smaller than this many fields' worth is not met).</summary>
    private const int MinimumKeptChars = 256;

    /// <summary><paramref name="e"/> itself when <paramref name="measure"/> says it fits <paramref name="maxBytes"/>, else a copy with its long strings cut.</summary>
    public static LogEvent Fit(LogEvent e, int maxBytes, Func<LogEvent, int> measure)
    {
        if (measure(e) <= maxBytes) return e;
        int keep = Longest(e);
        var cut = e;
        while (keep > MinimumKeptChars)
        {
            keep /= 2;
            cut = Cut(e, keep);
            if (measure(cut) <= maxBytes) break;
        }
        return cut;
    }

    private static int Longest(LogEvent e)
    {
        int longest = e.Original.Length;
        foreach (var value in e.Fields.Values)
        {
            if (value is string s) longest = Math.Max(longest, s.Length);
            else foreach (var item in (string[])value) longest = Math.Max(longest, item.Length);
        }
        return longest;
    }

    private static LogEvent Cut(LogEvent e, int keep)
    {
        var copy = new LogEvent { RecordId = e.RecordId, AgentId = e.AgentId, Timestamp = e.Timestamp, Original = Start(e.Original, keep) };
        foreach (var (field, value) in e.Fields)
        {
            copy.Fields[field] = value is string s ? Start(s, keep) : ((string[])value).Select(v => Start(v, keep)).ToArray();
        }
        if (copy.Fields.TryGetValue(EcsFields.Tags, out var tags) && (tags as string == EcsFields.TruncatedTag || (tags is string[] list && list.Contains(EcsFields.TruncatedTag))))
        {
            return copy;
        }
        copy.Add(EcsFields.Tags, EcsFields.TruncatedTag);
        return copy;
    }

    /// <summary>The first <paramref name="keep"/> chars, not splitting a surrogate pair.</summary>
    private static string Start(string s, int keep)
    {
        if (s.Length <= keep) return s;
        if (char.IsHighSurrogate(s[keep - 1])) keep--;
        return s[..keep];
    }
}
