namespace Siem.Rules;

/// <summary>The <c>logsource</c> of a Sigma rule or filter; each part is optional (null = any).</summary>
public sealed record SigmaLogsource(string? Product, string? Category, string? Service)
{
    public static SigmaLogsource Any { get; } = new(null, null, null);

    public override string ToString() => $"{Product ?? "*"}/{Category ?? "*"}/{Service ?? "*"}";
}
