namespace Siem.Rules.Detection;

/// <summary>A rule document that breaks the specification (or uses something unsupported), with its place.</summary>
internal sealed class RuleParseException(string message, int line, int column, bool unsupported = false) : Exception(message)
{
    public int Line { get; } = line;

    public int Column { get; } = column;

    public bool Unsupported { get; } = unsupported;
}
