namespace Siem.Engine.Control;

/// <summary>
/// Which running engines confirmed a purge notice (every part of it): <see cref="Missing"/> were still running but had
/// not confirmed when the wait ended; <see cref="Left"/> stopped (their heartbeat ended) before confirming.
/// </summary>
public sealed record PurgeConfirmation(IReadOnlyList<string> Confirmed, IReadOnlyList<string> Missing, IReadOnlyList<string> Left, TimeSpan Waited)
{
    public bool Complete => Missing.Count == 0;

    /// <summary>For the certificate: counts and engine ids (never a value).</summary>
    public string Describe(TimeSpan limit)
    {
        var text = $"{Confirmed.Count} running engine(s) confirmed the purge notice in {Waited.TotalSeconds:0.0} s";
        if (Missing.Count > 0) text += $"; NOT confirmed within {limit.TotalSeconds:0} s by {string.Join(", ", Missing)}";
        if (Left.Count > 0) text += $"; stopped before confirming: {string.Join(", ", Left)}";
        return text;
    }
}
