namespace Siem.Rules.Correlation;

/// <summary>A correlation document that breaks the specification, with the place and rule it concerns.</summary>
internal sealed class CorrelationParseException(string message, int line, int column, bool unsupported = false) : Exception(message)
{
    public int Line { get; } = line;

    public int Column { get; } = column;

    public bool Unsupported { get; } = unsupported;
}
