using static Siem.Rules.Tests.DetectionTestKit;

namespace Siem.Rules.Tests;

public sealed class ValueSyntaxTests
{
    [Theory]
    [InlineData("C:\\Users\\bob\\run.exe", true)]
    [InlineData("C:\\Users\\bob\\sub\\run.exe", true)]
    [InlineData("D:\\Users\\bob\\run.exe", false)]
    public void Star_wildcard_matches_any_run(string value, bool expected) =>
        // Per the spec a backslash before * escapes it, so a path wildcard after a backslash is written \\*.
        Assert.Equal(expected, Matches("sel:\n    Image: 'C:\\Users\\\\*\\run.exe'\ncondition: sel", Ev(("Image", value))));

    [Theory]
    [InlineData("file1.txt", true)]
    [InlineData("file12.txt", false)]
    [InlineData("file.txt", false)]
    public void Question_mark_matches_exactly_one_char(string value, bool expected) =>
        Assert.Equal(expected, Matches("sel:\n    F: 'file?.txt'\ncondition: sel", Ev(("F", value))));

    [Theory]
    [InlineData("'a\\*b'", "a*b", true)]
    [InlineData("'a\\*b'", "axxb", false)]
    [InlineData("'a\\?b'", "a?b", true)]
    [InlineData("'a\\?b'", "axb", false)]
    [InlineData("'a\\\\*'", "a\\anything", true)]
    [InlineData("'a\\\\\\*'", "a\\*", true)]
    [InlineData("'a\\\\\\*'", "a\\x", false)]
    [InlineData("'C:\\Windows\\'", "c:\\windows\\", true)]
    [InlineData("'a\\\\\\\\b'", "a\\\\b", true)]
    public void Backslash_escapes_wildcards_and_itself_per_the_spec(string yamlValue, string value, bool expected) =>
        Assert.Equal(expected, Matches($"sel:\n    F: {yamlValue}\ncondition: sel", Ev(("F", value))));

    [Fact]
    public void Null_matches_an_absent_or_empty_field()
    {
        const string Rule = "sel:\n    F: null\ncondition: sel";
        Assert.True(Matches(Rule, Ev(("G", "x"))));
        Assert.True(Matches(Rule, Ev(("F", ""))));
        Assert.False(Matches(Rule, Ev(("F", "x"))));
        Assert.True(Matches("sel:\n    F: null\nfilter:\n    G: x\ncondition: not sel and filter", Ev(("F", "v"), ("G", "x"))));
    }

    [Fact]
    public void Empty_string_matches_only_an_empty_value()
    {
        Assert.True(Matches("sel:\n    F: ''\ncondition: sel", Ev(("F", ""))));
        Assert.False(Matches("sel:\n    F: ''\ncondition: sel", Ev(("G", ""))));
    }

    [Fact]
    public void Numbers_and_booleans_compare_as_their_text()
    {
        Assert.True(Matches("sel:\n    EventID: 4688\ncondition: sel", Ev(("EventID", "4688"))));
        Assert.False(Matches("sel:\n    EventID: 4688\ncondition: sel", Ev(("EventID", "46880"))));
        Assert.True(Matches("sel:\n    Enabled: true\ncondition: sel", Ev(("Enabled", "True"))));
    }

    [Fact]
    public void Keywords_search_every_string_field_as_substrings()
    {
        const string Rule = "keywords:\n    - 'EVILSERVICE'\n    - 'svchost.exe -n evil'\ncondition: keywords";
        Assert.True(Matches(Rule, Ev(("message", "service evilservice installed"))));
        Assert.True(Matches(Rule, Ev(("CommandLine", "C:\\svchost.exe -n evil"))));
        Assert.False(Matches(Rule, Ev(("message", "all quiet"))));
    }

    [Fact]
    public void Keyword_all_requires_every_value()
    {
        const string Rule = "keywords_cmdlet:\n    '|all':\n        - 'OabVirtualDirectory'\n        - ' -ExternalUrl '\ncondition: keywords_cmdlet";
        Assert.True(Matches(Rule, Ev(("message", "Set-OabVirtualDirectory -ExternalUrl http://x"))));
        Assert.False(Matches(Rule, Ev(("message", "Set-OabVirtualDirectory"))));
    }

    [Fact]
    public void A_map_links_fields_with_and_and_a_list_of_maps_with_or()
    {
        const string Rule = "sel:\n    - EventLog: Security\n      EventID: 517\n    - EventLog: System\n      EventID: 1102\ncondition: sel";
        Assert.True(Matches(Rule, Ev(("EventLog", "Security"), ("EventID", "517"))));
        Assert.True(Matches(Rule, Ev(("EventLog", "System"), ("EventID", "1102"))));
        Assert.False(Matches(Rule, Ev(("EventLog", "Security"), ("EventID", "1102"))));
    }

    [Fact]
    public void Field_names_with_dots_and_exact_before_case_insensitive_lookup()
    {
        Assert.True(Matches("sel:\n    process.command_line|contains: whoami\ncondition: sel", Ev(("process.command_line", "cmd /c whoami"))));
        Assert.True(Matches("sel:\n    CommandLine|contains: whoami\ncondition: sel", Ev(("commandline", "whoami"))));
        Assert.False(Matches("sel:\n    CommandLine|contains: whoami\ncondition: sel", Ev(("commandline", "whoami"), ("CommandLine", "dir"))));
    }

    [Fact]
    public void Multi_valued_fields_match_when_any_value_matches()
    {
        var e = Ev(("tags", "a"), ("tags", "b"));
        Assert.True(Matches("sel:\n    tags: b\ncondition: sel", e));
        Assert.False(Matches("sel:\n    tags: c\ncondition: sel", e));
    }

    [Fact]
    public void Many_values_use_the_multi_string_matchers_with_the_same_result()
    {
        var values = string.Join("\n", Enumerable.Range(0, 40).Select(i => $"        - 'needle{i}x'"));
        Assert.True(Matches($"sel:\n    F|contains:\n{values}\ncondition: sel", Ev(("F", "hay NEEDLE17X hay"))));
        Assert.False(Matches($"sel:\n    F|contains:\n{values}\ncondition: sel", Ev(("F", "hay needle17 hay"))));
        Assert.True(Matches($"sel:\n    F|endswith:\n{values}\ncondition: sel", Ev(("F", "c:\\needle39X"))));
        Assert.True(Matches($"sel:\n    F|startswith:\n{values}\ncondition: sel", Ev(("F", "needle3xyz"))));
        Assert.True(Matches($"sel:\n    F:\n{values}\ncondition: sel", Ev(("F", "needle0X"))));
        Assert.False(Matches($"sel:\n    F:\n{values}\ncondition: sel", Ev(("F", "needle0"))));
    }
}
