using Siem.Lineage.Shredding;
using Siem.Lineage.Subjects;

namespace Siem.Engine.Search;

/// <summary>
/// Rewrites terms on crypto-shredded fields for an index that stores them encrypted: <c>user.email:x</c> becomes
/// <c>user.email.bidx:&lt;blind index of x&gt;</c> (the stored ciphertext is randomized, only the blind index compares).
/// <c>user.email:*</c> (field present) stays; a partial wildcard cannot be answered and is refused with a clear error.
/// Where free text is sealed (<see cref="FieldProtector.SealFreeText"/>), a protected value no longer shows in the
/// stored message, so free text that could be such a value (an address for an e-mail field, one token otherwise) also
/// matches through those fields' blind indexes: <c>"alice@example.org"</c> still finds her records.
/// </summary>
internal static class BlindIndexRewriter
{
    public static QueryNode Rewrite(QueryNode node, FieldProtector protector) => node switch
    {
        AndNode a => new AndNode(Rewrite(a.Left, protector), Rewrite(a.Right, protector)),
        OrNode o => new OrNode(Rewrite(o.Left, protector), Rewrite(o.Right, protector)),
        NotNode n => new NotNode(Rewrite(n.Operand, protector)),
        FieldNode f when protector.Fields.Contains(f.Field, StringComparer.Ordinal) => RewriteField(f, protector),
        TextNode t when protector.SealFreeText && !t.IsPrefix => WithSealedValues(t, protector),
        _ => node,
    };

    private static QueryNode RewriteField(FieldNode f, FieldProtector protector)
    {
        if (f.HasWildcard && f.Value.All(ch => ch == '*')) return f;
        if (f.HasWildcard)
            throw new SearchQueryException($"field '{f.Field}' is stored encrypted (crypto-shredding): search it by its exact value or '{f.Field}:*', not by a wildcard pattern");
        if (SubjectPseudonymizer.Canonical(f.Field, f.Value) == null) return f;
        return new FieldNode(f.Field + FieldProtector.BlindIndexSuffix, protector.BlindIndex(f.Field, f.Value), false);
    }

    private static QueryNode WithSealedValues(TextNode t, FieldProtector protector)
    {
        string text = t.Text.Trim();
        if (text.Length == 0 || text.Any(char.IsWhiteSpace)) return t;
        QueryNode result = t;
        foreach (var field in protector.Fields)
        {
            if (FieldProtector.CouldBeValueOf(field, text))
                result = new OrNode(result, new FieldNode(field + FieldProtector.BlindIndexSuffix, protector.BlindIndex(field, text), false));
        }
        return result;
    }
}
