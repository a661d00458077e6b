namespace Siem.Rules.Detection;

/// <summary>Condition AST; <c>1 of x*</c> / <c>all of them</c> are expanded to <see cref="OfNode"/> over identifier names at parse time.</summary>
internal abstract class ConditionNode;

internal sealed class AndNode(IReadOnlyList<ConditionNode> children) : ConditionNode
{
    public IReadOnlyList<ConditionNode> Children { get; } = children;

    public override string ToString() => "(" + string.Join(" and ", Children) + ")";
}

internal sealed class OrNode(IReadOnlyList<ConditionNode> children) : ConditionNode
{
    public IReadOnlyList<ConditionNode> Children { get; } = children;

    public override string ToString() => "(" + string.Join(" or ", Children) + ")";
}

internal sealed class NotNode(ConditionNode child) : ConditionNode
{
    public ConditionNode Child { get; } = child;

    public override string ToString() => "not " + Child;
}

internal sealed class IdentifierNode(string name) : ConditionNode
{
    public string Name { get; } = name;

    public override string ToString() => Name;
}

/// <summary><c>N of pattern</c>: at least <see cref="Count"/> of the named identifiers (Count = Names.Count for <c>all of</c>).</summary>
internal sealed class OfNode(int count, IReadOnlyList<string> names) : ConditionNode
{
    public int Count { get; } = count;

    public IReadOnlyList<string> Names { get; } = names;

    public override string ToString() => $"{Count} of [{string.Join(",", Names)}]";
}
