namespace Siem.Host.Fuzz;

/// <summary>One broken promise: an undocumented exception, a violated contract (a dropped line, a tampered envelope that
/// opened) or a hang, with the input that caused it.</summary>
internal sealed record FuzzFinding(long Iteration, string Kind, string Message, string Input)
{
    public override string ToString() =>
        $"iteration {Iteration}: {Kind}: {Message}\n  input ({Input.Length} chars): {Preview(Input)}";

    private static string Preview(string input)
    {
        var s = input.Length > 400 ? input[..400] + "…" : input;
        return s.Replace("\n", "\\n", StringComparison.Ordinal).Replace("\0", "\\0", StringComparison.Ordinal);
    }
}
