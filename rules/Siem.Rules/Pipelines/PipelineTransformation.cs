namespace Siem.Rules.Pipelines;

/// <summary>
/// One entry of a pipeline's <c>transformations</c>: for rules whose logsource matches <see cref="Product"/>,
/// <see cref="Category"/> and <see cref="Service"/> (each null = any; a list = any of), map Sigma field names to
/// event fields and, optionally, require event fields that say the event comes from that logsource.
/// </summary>
public sealed class PipelineTransformation
{
    public string Id { get; init; } = "";

    public IReadOnlyList<string>? Product { get; init; }

    public IReadOnlyList<string>? Category { get; init; }

    public IReadOnlyList<string>? Service { get; init; }

    /// <summary>Sigma field → event fields (one-to-many: a detection item matches when any of them matches). Case-sensitive keys.</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<string>> FieldMappings { get; init; } = new Dictionary<string, IReadOnlyList<string>>();

    /// <summary>Event field → accepted values (any of, ordinal case-insensitive): an event of another source does not match rules of this logsource.</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<string>> EventConditions { get; init; } = new Dictionary<string, IReadOnlyList<string>>();

    public int Line { get; init; }

    public bool AppliesTo(SigmaLogsource logsource)
    {
        ArgumentNullException.ThrowIfNull(logsource);
        return Matches(Product, logsource.Product) && Matches(Category, logsource.Category) && Matches(Service, logsource.Service);

        static bool Matches(IReadOnlyList<string>? wanted, string? actual) =>
            wanted is null || (actual is not null && wanted.Any(w => string.Equals(w, actual, StringComparison.OrdinalIgnoreCase)));
    }
}
