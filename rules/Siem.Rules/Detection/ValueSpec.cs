using System.Net;

namespace Siem.Rules.Detection;

internal enum ValueKind
{
    /// <summary>String with wildcards (contains/startswith/endswith become leading/trailing stars).</summary>
    Glob,
    Regex,
    Cidr,
    /// <summary>Numeric comparison (lt/lte/gt/gte, and equality after a time modifier).</summary>
    Compare,
    /// <summary><c>null</c>: the field is absent or empty.</summary>
    Null,
    Exists,
    /// <summary>Compare with another field of the same event.</summary>
    FieldRef,
    /// <summary><c>|expand</c> value with <c>%placeholders%</c>, resolved when the rule set is compiled.</summary>
    Placeholder,
}

internal enum CompareOp
{
    Eq,
    Lt,
    Lte,
    Gt,
    Gte,
}

/// <summary>One value of a detection item after its modifiers were applied.</summary>
internal sealed class ValueSpec
{
    public ValueKind Kind { get; init; }

    public GlobPattern? Glob { get; init; }

    /// <summary>Case-sensitive comparison (<c>|cased</c>, and values produced by base64 encodings).</summary>
    public bool Cased { get; init; }

    public RuleRegex? Regex { get; init; }

    public IPNetwork Network { get; init; }

    public CompareOp Op { get; init; }

    public double Number { get; init; }

    public bool ExistsValue { get; init; }

    /// <summary>For <see cref="ValueKind.FieldRef"/>: the other field; for <see cref="ValueKind.Placeholder"/>: the raw value.</summary>
    public string? Text { get; init; }

    /// <summary>For FieldRef/Placeholder: the contains/startswith/endswith shape to apply.</summary>
    public bool LeadingStar { get; init; }

    public bool TrailingStar { get; init; }

    public override string ToString() => Kind switch
    {
        ValueKind.Glob => (Cased ? "cased:" : "") + Glob,
        ValueKind.Regex => "re:" + Regex,
        ValueKind.Cidr => "cidr:" + Network,
        ValueKind.Compare => $"{Op}:{Number}",
        ValueKind.Exists => "exists:" + ExistsValue,
        ValueKind.Null => "null",
        _ => $"{Kind}:{Text}",
    };
}
