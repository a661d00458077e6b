using System.Text;

namespace Siem.Engine.Search;

/// <summary>
/// Turns a <see cref="QueryNode"/> into a SQLite WHERE clause over one partition table (alias <c>e</c>, columns
/// <c>id</c>, <c>record_id</c>, <c>agent_id</c>, <c>fields</c> JSON) and its FTS5 table. Values are always bound
/// parameters; free text is quoted for FTS5 so user input never becomes FTS syntax.
/// </summary>
internal sealed class SqliteQueryCompiler
{
    private readonly string _ftsTable;
    private readonly string _idColumn;
    private readonly List<KeyValuePair<string, object>> _parameters = [];

    private SqliteQueryCompiler(string ftsTable, string idColumn)
    {
        _ftsTable = ftsTable;
        _idColumn = idColumn;
    }

    public static (string Sql, IReadOnlyList<KeyValuePair<string, object>> Parameters) Compile(QueryNode node, string ftsTable, string idColumn)
    {
        var c = new SqliteQueryCompiler(ftsTable, idColumn);
        var sb = new StringBuilder();
        c.Emit(node, sb);
        return (sb.ToString(), c._parameters);
    }

    private string Param(object value)
    {
        string name = "$q" + _parameters.Count.ToString(System.Globalization.CultureInfo.InvariantCulture);
        _parameters.Add(new(name, value));
        return name;
    }

    private void EmitBinary(QueryNode left, string op, QueryNode right, StringBuilder sb)
    {
        sb.Append('(');
        Emit(left, sb);
        sb.Append(op);
        Emit(right, sb);
        sb.Append(')');
    }

    private void Emit(QueryNode node, StringBuilder sb)
    {
        switch (node)
        {
            case MatchAllNode:
                sb.Append("1");
                break;
            case AndNode a:
                EmitBinary(a.Left, " AND ", a.Right, sb);
                break;
            case OrNode o:
                EmitBinary(o.Left, " OR ", o.Right, sb);
                break;
            case NotNode n:
                sb.Append("(NOT ");
                Emit(n.Operand, sb);
                sb.Append(')');
                break;
            case TextNode t:
                string fts = "\"" + t.Text.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" + (t.IsPrefix ? "*" : "");
                sb.Append("e.id IN (SELECT rowid FROM ").Append(_ftsTable).Append(" WHERE ").Append(_ftsTable)
                  .Append(" MATCH ").Append(Param(fts)).Append(')');
                break;
            case FieldNode f:
                EmitField(f, sb);
                break;
            default:
                throw new InvalidOperationException($"unknown query node {node.GetType().Name}");
        }
    }

    private void EmitField(FieldNode f, StringBuilder sb)
    {
        string? column = f.Field switch
        {
            "_id" or "record_id" or "alert_id" => "e." + _idColumn,
            "agent_id" or "agent.id" => "e.agent_id",
            _ => null,
        };
        if (column != null)
        {
            sb.Append(column).Append(Compare(f));
            return;
        }
        if (f.Field.Contains('"', StringComparison.Ordinal)) throw new SearchQueryException($"field name '{f.Field}' cannot contain '\"'", 1);
        if (f.HasWildcard && f.Value.All(ch => ch == '*'))
        {
            sb.Append("EXISTS (SELECT 1 FROM json_each(e.fields, ").Append(Param("$.\"" + f.Field + "\"")).Append("))");
            return;
        }
        sb.Append("EXISTS (SELECT 1 FROM json_each(e.fields, ").Append(Param("$.\"" + f.Field + "\""))
          .Append(") j WHERE j.value").Append(Compare(f)).Append(')');
    }

    private string Compare(FieldNode f)
    {
        if (!f.HasWildcard) return " = " + Param(f.Value) + " COLLATE NOCASE";
        var like = new StringBuilder();
        foreach (char ch in f.Value)
        {
            if (ch == '*') like.Append('%');
            else if (ch is '%' or '_' or '\\') like.Append('\\').Append(ch);
            else like.Append(ch);
        }
        // LIKE is case-insensitive for ASCII in SQLite, which matches the keyword semantics.
        return " LIKE " + Param(like.ToString()) + " ESCAPE '\\'";
    }
}
