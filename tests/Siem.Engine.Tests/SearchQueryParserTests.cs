using Siem.Engine.Search;

namespace Siem.Engine.Tests;

public sealed class SearchQueryParserTests
{
    [Fact]
    public void Field_value_and_bare_words_are_anded_implicitly()
    {
        var q = SearchQueryParser.Parse("user.name:root failed");
        Assert.Equal(new AndNode(new FieldNode("user.name", "root", false), new TextNode("failed", false, false)), q);
    }

    [Fact]
    public void Not_binds_tighter_than_and_which_binds_tighter_than_or()
    {
        var q = SearchQueryParser.Parse("a OR b AND NOT c");
        Assert.Equal(new OrNode(new TextNode("a", false, false), new AndNode(new TextNode("b", false, false), new NotNode(new TextNode("c", false, false)))), q);
    }

    [Fact]
    public void Parentheses_group_and_a_leading_dash_negates()
    {
        var q = SearchQueryParser.Parse("(source.ip:10.0.0.5 OR source.ip:10.0.0.6) -user.name:root");
        Assert.Equal(
            new AndNode(
                new OrNode(new FieldNode("source.ip", "10.0.0.5", false), new FieldNode("source.ip", "10.0.0.6", false)),
                new NotNode(new FieldNode("user.name", "root", false))),
            q);
    }

    [Fact]
    public void Quoted_phrases_wildcards_and_prefixes_are_recognised()
    {
        Assert.Equal(new TextNode("failed password", true, false), SearchQueryParser.Parse("\"failed password\""));
        Assert.Equal(new FieldNode("process.command_line", "/usr/bin/id -u", false), SearchQueryParser.Parse("process.command_line:\"/usr/bin/id -u\""));
        Assert.Equal(new FieldNode("user.name", "adm*", true), SearchQueryParser.Parse("user.name:adm*"));
        Assert.Equal(new TextNode("pass", false, true), SearchQueryParser.Parse("pass*"));
        Assert.Equal(new MatchAllNode(), SearchQueryParser.Parse("*"));
        Assert.Equal(new FieldNode("url.original", "http://x/a?b=c", false), SearchQueryParser.Parse("url.original:http://x/a?b=c"));
        Assert.Equal(new TextNode("say \"hi\"", true, false), SearchQueryParser.Parse("\"say \\\"hi\\\"\""));
    }

    [Fact]
    public void Lower_case_and_or_not_are_ordinary_words()
    {
        Assert.Equal(new AndNode(new TextNode("cats", false, false), new AndNode(new TextNode("and", false, false), new TextNode("dogs", false, false))),
            SearchQueryParser.Parse("cats and dogs") is AndNode a ? Reassociate(a) : null);
    }

    // The parser builds left-deep trees; normalise for a readable expectation.
    private static AndNode Reassociate(AndNode a) => a.Left is AndNode l ? new AndNode(l.Left, new AndNode(l.Right, a.Right)) : a;

    [Theory]
    [InlineData("user.name:root AND", 16, "'AND' must be followed by a term")]
    [InlineData("(a OR b", 8, "missing ')' for the '(' at position 1")]
    [InlineData("a OR b)", 7, "unexpected ')' without a matching '('")]
    [InlineData("\"unterminated", 1, "unterminated quoted phrase")]
    [InlineData("user.name:", 11, "expected a value after 'user.name:'")]
    [InlineData("fa*led", 3, "'*' is only allowed at the end")]
    [InlineData("OR a", 1, "'OR' needs a term before it")]
    [InlineData("   ", 1, "the query is empty")]
    [InlineData("()", 1, "empty parentheses")]
    public void Bad_queries_name_the_position_and_the_problem(string query, int position, string message)
    {
        var ex = Assert.Throws<SearchQueryException>(() => SearchQueryParser.Parse(query));
        Assert.Equal(position, ex.Position);
        Assert.Contains(message, ex.Message, StringComparison.Ordinal);
        Assert.StartsWith($"bad query at position {position}: ", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Relative_and_iso_times_are_read()
    {
        var now = NodaTime.Instant.FromUtc(2026, 11, 22, 4, 0, 0);
        Assert.Equal(NodaTime.Instant.FromUtc(2026, 11, 22, 3, 0, 0), TimeExpression.Parse("-1h", now));
        Assert.Equal(NodaTime.Instant.FromUtc(2026, 11, 15, 4, 0, 0), TimeExpression.Parse("-7d", now));
        Assert.Equal(NodaTime.Instant.FromUtc(2026, 11, 22, 2, 0, 0), TimeExpression.Parse("2026-11-22T03:00:00+01:00", now));
        Assert.Equal(NodaTime.Instant.FromUtc(2026, 11, 21, 0, 0, 0), TimeExpression.Parse("2026-11-21", now));
        Assert.Equal(NodaTime.Instant.FromUtc(2026, 11, 21, 5, 6, 7), TimeExpression.Parse("2026-11-21T05:06:07Z", now));
        var ex = Assert.Throws<FormatException>(() => TimeExpression.Parse("yesterday", now));
        Assert.Contains("'yesterday'", ex.Message, StringComparison.Ordinal);
    }
}
