namespace Siem.Engine.Keys;

/// <summary>What <see cref="UnconsumedBatches.SealedToAsync"/> found: of <paramref name="Scanned"/> waiting batches,
/// how many each agent sealed to <paramref name="KeyId"/>.</summary>
public sealed record SealedBatches(string KeyId, long Scanned, IReadOnlyDictionary<string, long> ByAgent)
{
    public long Count => ByAgent.Values.Sum();

    /// <summary>"web-01 (3), web-02 (1)", the agents with the most batches first, at most <paramref name="max"/> named.</summary>
    public string Describe(int max = 20)
    {
        var ordered = ByAgent.OrderByDescending(a => a.Value).ThenBy(a => a.Key, StringComparer.Ordinal).ToList();
        var named = string.Join(", ", ordered.Take(max).Select(a => $"{a.Key} ({a.Value})"));
        return ordered.Count > max ? $"{named} and {ordered.Count - max} more agent(s)" : named;
    }
}
