namespace Siem.Rules.Correlation;

/// <summary>A comparison of a correlation condition (<c>gt</c>, <c>gte</c>, <c>lt</c>, <c>lte</c>, <c>eq</c>, <c>neq</c>).</summary>
public enum ConditionOperator
{
    Gt,
    Gte,
    Lt,
    Lte,
    Eq,
    Neq,
}
