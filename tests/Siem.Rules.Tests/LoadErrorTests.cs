using static Siem.Rules.Tests.DetectionTestKit;

namespace Siem.Rules.Tests;

public sealed class LoadErrorTests
{
    [Fact]
    public void Invalid_yaml_names_file_line_and_column()
    {
        const string Yaml = "title: t\nlogsource:\n    product: windows\ndetection:\n    sel:\n        Image: 'unclosed\n    condition: sel\n";
        var error = Assert.Single(RuleLoader.LoadYaml(Yaml, "rules/bad.yml").Errors);
        Assert.Equal("rules/bad.yml", error.Path);
        Assert.StartsWith($"rules/bad.yml:{error.Line}:{error.Column}: invalid YAML", error.ToString(), StringComparison.Ordinal);
        Assert.Equal((6, 16), (error.Line, error.Column));
    }

    [Fact]
    public void Flow_nesting_deeper_than_64_levels_is_refused_before_parsing_instead_of_taking_seconds()
    {
        // Found by `siem fuzz sigma`: 37,000 '[' took YamlDotNet 7-13 s (parse time grows with the square of the depth).
        var yaml = "title: t\nx: " + new string('[', 37_000) + "\n";
        var error = Assert.Single(RuleLoader.LoadYaml(yaml, "deep.yml").Errors);
        Assert.Equal((2, 68), (error.Line, error.Column));
        Assert.Contains("nested deeper than 64 levels", error.Message, StringComparison.Ordinal);
        // Brackets inside quotes and comments do not count; 64 real levels still load.
        var fine = Rule("sel:\n    A: '" + new string('[', 200) + "'\ncondition: sel") + "# " + new string('{', 200) + "\nx: " + new string('[', 64) + new string(']', 64) + "\n";
        Assert.DoesNotContain(RuleLoader.LoadYaml(fine, "fine.yml").Errors, e => e.Message.Contains("nested deeper", StringComparison.Ordinal));
    }

    [Fact]
    public void A_keyword_list_holding_null_is_a_located_compile_error_not_an_exception()
    {
        // Found by `siem fuzz sigma`: "selection: null" made CompiledRuleSet.Compile throw InvalidOperationException.
        var set = RuleLoader.LoadYaml(Rule("selection: null\ncondition: selection"), "null.yml");
        var compiled = CompiledRuleSet.Compile(set);
        var error = Assert.Single(compiled.CompileErrors);
        Assert.Contains("keyword list", error.Message, StringComparison.Ordinal);
        Assert.Equal(0, compiled.RuleCount);
    }

    [Fact]
    public void A_complex_yaml_key_in_a_detection_or_a_correlation_is_a_located_error_not_an_exception()
    {
        // Found by `siem fuzz sigma --seed 7`: "? Image|endswith:" made the loader throw InvalidCastException.
        const string Detection = "title: t\nlogsource:\n    product: windows\ndetection:\n    sel:\n    ?    Image|endswith:\n            - a.exe\n    condition: sel\n";
        var error = Assert.Single(RuleLoader.LoadYaml(Detection, "complex.yml").Errors);
        Assert.Contains("a key must be a plain name, not a list or map", error.Message, StringComparison.Ordinal);
        Assert.Equal((6, 10), (error.Line, error.Column));

        const string Correlation = "title: c\ncorrelation:\n    type: event_count\n    rules: [r]\n    group-by: [User]\n    timespan: 5m\n    condition:\n        ? [gte]\n        : 3\n";
        var corr = Assert.Single(RuleLoader.LoadYaml(Correlation, "corr.yml").Errors);
        Assert.Contains("a key must be a plain name, not a list or map", corr.Message, StringComparison.Ordinal);
        Assert.Equal(8, corr.Line);
    }

    [Fact]
    public void Yaml_the_scanner_chokes_on_is_still_a_located_error()
    {
        const string Yaml = "title: t\nlogsource:\n    product: windows\ndetection:\n    sel:\n        Image: [unclosed\n    condition: sel\n";
        var error = Assert.Single(RuleLoader.LoadYaml(Yaml, "rules/bad.yml").Errors);
        Assert.Contains("invalid YAML", error.Message, StringComparison.Ordinal);
        Assert.InRange(error.Line, 6, 7);
    }

    [Fact]
    public void Documents_before_a_yaml_error_still_load()
    {
        var yaml = Rule("sel:\n    A: b\ncondition: sel") + "---\ntitle: 'broken\n";
        var set = RuleLoader.LoadYaml(yaml, "two.yml");
        Assert.Single(set.Rules);
        Assert.Equal(11, Assert.Single(set.Errors).Line);
    }

    [Fact]
    public void A_bad_rule_names_the_field_and_does_not_stop_the_others()
    {
        var yaml = Rule("sel:\n    Image|endswith: a.exe\ncondition: sel", id: "aaaaaaaa-0000-0000-0000-000000000001")
            + "---\n" + Rule("sel:\n    Image|nosuchmodifier: a.exe\ncondition: sel", id: "aaaaaaaa-0000-0000-0000-000000000002")
            + "---\n" + Rule("sel:\n    Image|re: '([a-z'\ncondition: sel", id: "aaaaaaaa-0000-0000-0000-000000000003")
            + "---\n" + Rule("sel:\n    Image: a.exe\ncondition: sel", id: "aaaaaaaa-0000-0000-0000-000000000004");
        var set = RuleLoader.LoadYaml(yaml, "multi.yml");

        Assert.Equal(4, set.TotalDocuments);
        Assert.Equal(["aaaaaaaa-0000-0000-0000-000000000001", "aaaaaaaa-0000-0000-0000-000000000004"], set.Rules.Select(r => r.Id));
        Assert.Equal(2, set.Errors.Count);

        var unknown = set.Errors[0];
        Assert.Equal("aaaaaaaa-0000-0000-0000-000000000002", unknown.RuleId);
        Assert.True(unknown.Unsupported);
        Assert.Contains("unknown modifier 'nosuchmodifier' on field 'Image'", unknown.Message, StringComparison.Ordinal);
        Assert.Equal(17, unknown.Line); // document 2 starts at line 11 (after ---); the field is on its 7th line
        Assert.Equal(9, unknown.Column);

        var regex = set.Errors[1];
        Assert.Equal("aaaaaaaa-0000-0000-0000-000000000003", regex.RuleId);
        Assert.False(regex.Unsupported);
        Assert.Contains("field 'Image|re': invalid regular expression", regex.Message, StringComparison.Ordinal);
        Assert.Equal(27, regex.Line);
    }

    [Theory]
    [InlineData("title: t\nlogsource:\n    product: x\n", "missing required 'detection'")]
    [InlineData("logsource:\n    product: x\ndetection:\n    sel:\n        A: 1\n    condition: sel\n", "missing required 'title'")]
    [InlineData("title: t\nlogsource:\n    product: x\ndetection:\n    sel:\n        A: 1\n", "detection has no 'condition'")]
    [InlineData("title: t\nlogsource:\n    product: x\ndetection:\n    sel:\n        A:\n            - 1\n            - null\n    condition: sel\n", "null cannot be part of a list")]
    [InlineData("title: t\nlogsource:\n    product: x\ndetection:\n    sel:\n        A|cidr: 300.1.1.1/8\n    condition: sel\n", "is not a CIDR network")]
    [InlineData("title: t\nlogsource:\n    product: x\ndetection:\n    sel:\n        A|gt: abc\n    condition: sel\n", "'abc' is not a number")]
    [InlineData("- just\n- a list\n", "must be a YAML map")]
    public void Broken_documents_say_what_is_wrong(string yaml, string message) =>
        Assert.Contains(message, Assert.Single(RuleLoader.LoadYaml(yaml, "x.yml").Errors).Message, StringComparison.Ordinal);

    [Fact]
    public void Loading_a_missing_path_is_an_error_not_an_exception()
    {
        var set = RuleLoader.Load(["/nonexistent/rules-dir"]);
        Assert.Equal("no such file or directory", Assert.Single(set.Errors).Message);
    }

    [Fact]
    public void Rule_metadata_is_kept()
    {
        var yaml = "title: Whoami\nid: 22222222-2222-2222-2222-222222222222\nname: whoami_exec\nstatus: test\ndescription: d\nauthor: me\n"
            + "tags:\n    - attack.discovery\nlogsource:\n    category: process_creation\n    product: Windows\n"
            + "detection:\n    sel:\n        Image|endswith: '\\whoami.exe'\n    condition: sel\nfields:\n    - CommandLine\nfalsepositives:\n    - admins\nlevel: low\n";
        var rule = Assert.Single(RuleLoader.LoadYaml(yaml, "w.yml").Rules);
        Assert.Equal(("22222222-2222-2222-2222-222222222222", "whoami_exec", "Whoami", "low", "test"), (rule.Id, rule.Name, rule.Title, rule.Level, rule.Status));
        Assert.Equal(new SigmaLogsource("windows", "process_creation", null), rule.Logsource);
        Assert.Equal(["attack.discovery"], rule.Tags);
        Assert.Equal(["CommandLine"], rule.Fields);
        Assert.Equal(["admins"], rule.FalsePositives);
        Assert.Equal(("w.yml", 1), (rule.SourcePath, rule.Line));
    }
}
