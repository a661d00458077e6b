namespace Siem.Engine.Search;

/// <summary>A parsed search query. Leaves are free text (words, phrases) or field:value terms.</summary>
public abstract record QueryNode;

/// <summary>Matches everything (the query <c>*</c>).</summary>
public sealed record MatchAllNode : QueryNode;

/// <summary>Free text over the full-text index: a word (trailing <c>*</c> = prefix) or a quoted phrase.</summary>
public sealed record TextNode(string Text, bool IsPhrase, bool IsPrefix) : QueryNode;

/// <summary><c>field:value</c>, exact and case-insensitive; <c>*</c> in an unquoted value is a wildcard (<c>field:*</c> = field present).</summary>
public sealed record FieldNode(string Field, string Value, bool HasWildcard) : QueryNode;

public sealed record AndNode(QueryNode Left, QueryNode Right) : QueryNode;

public sealed record OrNode(QueryNode Left, QueryNode Right) : QueryNode;

public sealed record NotNode(QueryNode Operand) : QueryNode;
