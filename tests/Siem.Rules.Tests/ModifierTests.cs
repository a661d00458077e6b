using System.Text;
using static Siem.Rules.Tests.DetectionTestKit;

namespace Siem.Rules.Tests;

public sealed class ModifierTests
{
    [Theory]
    [InlineData("C:\\Windows\\System32\\cmd.exe", true)]
    [InlineData("c:\\windows\\system32\\CMD.EXE", true)]
    [InlineData("C:\\Windows\\System32\\cmd.exe.bak", false)]
    public void Plain_value_is_a_case_insensitive_exact_match(string value, bool expected) =>
        Assert.Equal(expected, Matches("sel:\n    Image: 'C:\\Windows\\System32\\cmd.exe'\ncondition: sel", Ev(("Image", value))));

    [Theory]
    [InlineData("contains", "xx-ENCODED-yy", true)]
    [InlineData("contains", "nothing", false)]
    [InlineData("startswith", "encoded stuff", true)]
    [InlineData("startswith", "the encoded", false)]
    [InlineData("endswith", "stuff ENCODED", true)]
    [InlineData("endswith", "encoded stuff", false)]
    public void Contains_startswith_endswith(string modifier, string value, bool expected) =>
        Assert.Equal(expected, Matches($"sel:\n    CommandLine|{modifier}: 'encoded'\ncondition: sel", Ev(("CommandLine", value))));

    [Theory]
    [InlineData("a b c", true)]
    [InlineData("c then a then b", true)]
    [InlineData("a b", false)]
    public void All_links_values_with_and(string value, bool expected) =>
        Assert.Equal(expected, Matches("sel:\n    CommandLine|contains|all:\n        - 'a'\n        - 'b'\n        - 'c'\ncondition: sel", Ev(("CommandLine", value))));

    [Theory]
    [InlineData("Admin", true)]
    [InlineData("admin", false)]
    public void Cased_makes_comparison_case_sensitive(string value, bool expected) =>
        Assert.Equal(expected, Matches("sel:\n    User|cased: 'Admin'\ncondition: sel", Ev(("User", value))));

    [Theory]
    [InlineData("re", "abc123", true)]
    [InlineData("re", "ABC123", false)]
    [InlineData("re|i", "ABC123", true)]
    [InlineData("re|m", "x\nabc1", true)]
    [InlineData("re", "x\nabc1", false)]
    public void Re_is_case_sensitive_with_i_m_s_flags(string modifiers, string value, bool expected) =>
        Assert.Equal(expected, Matches($"sel:\n    F|{modifiers}: '^abc[0-9]+'\ncondition: sel", Ev(("F", value))));

    [Theory]
    [InlineData("a\nb", false)]
    public void Re_dot_does_not_match_newline_without_s(string value, bool expected)
    {
        Assert.Equal(expected, Matches("sel:\n    F|re: '^a.b$'\ncondition: sel", Ev(("F", value))));
        Assert.True(Matches("sel:\n    F|re|s: '^a.b$'\ncondition: sel", Ev(("F", value))));
    }

    [Theory]
    [InlineData("powershell -enc AAA", true)]
    [InlineData("powershell /enc AAA", true)]
    [InlineData("powershell \u2013enc AAA", true)]
    [InlineData("powershell \u2014enc AAA", true)]
    [InlineData("powershell \u2015enc AAA", true)]
    [InlineData("powershell enc AAA", false)]
    public void Windash_accepts_every_dash_form(string value, bool expected) =>
        Assert.Equal(expected, Matches("sel:\n    CommandLine|windash|contains: ' -enc '\ncondition: sel", Ev(("CommandLine", value))));

    [Theory]
    [InlineData("10.1.2.3", true)]
    [InlineData("11.0.0.1", false)]
    [InlineData("fe80::1", true)]
    [InlineData("2001:db8::1", false)]
    [InlineData("not an ip", false)]
    public void Cidr_matches_ipv4_and_ipv6_networks(string ip, bool expected) =>
        Assert.Equal(expected, Matches("sel:\n    DestinationIp|cidr:\n        - '10.0.0.0/8'\n        - 'fe80::/10'\ncondition: sel", Ev(("DestinationIp", ip))));

    [Fact]
    public void Base64_encodes_the_value_and_matches_case_sensitively()
    {
        Assert.True(Matches("sel:\n    F|base64: 'cmd'\ncondition: sel", Ev(("F", "Y21k"))));
        Assert.False(Matches("sel:\n    F|base64: 'cmd'\ncondition: sel", Ev(("F", "y21K"))));
    }

    [Theory]
    [InlineData("")]
    [InlineData("x")]
    [InlineData("xy")]
    [InlineData("some prefix ")]
    public void Base64offset_finds_the_value_at_any_byte_offset(string prefix)
    {
        var encoded = Convert.ToBase64String(Encoding.UTF8.GetBytes(prefix + "http://evil.example/payload" + " and more"));
        Assert.True(Matches("sel:\n    CommandLine|base64offset|contains: 'http://evil.example/payload'\ncondition: sel", Ev(("CommandLine", "powershell -e " + encoded))));
    }

    [Theory]
    [InlineData("")]
    [InlineData("a")]
    [InlineData("ab")]
    public void Wide_base64offset_finds_utf16le_powershell_payloads(string prefix)
    {
        var encoded = Convert.ToBase64String(Encoding.Unicode.GetBytes(prefix + "Invoke-Mimikatz -DumpCreds"));
        Assert.True(Matches("sel:\n    CommandLine|wide|base64offset|contains: 'Invoke-Mimikatz'\ncondition: sel", Ev(("CommandLine", "powershell -enc " + encoded))));
        Assert.False(Matches("sel:\n    CommandLine|wide|base64offset|contains: 'Invoke-Mimikatz'\ncondition: sel", Ev(("CommandLine", "powershell -enc " + Convert.ToBase64String(Encoding.Unicode.GetBytes(prefix + "Get-Date"))))));
    }

    [Fact]
    public void Utf16_encodings_follow_the_spec_examples()
    {
        // Spec: cmd > 63 00 6d 00 64 00 (le), 00 63 00 6d 00 64 (be), FF FE 63 00 6d 00 64 00 (utf16 with BOM).
        Assert.True(Matches("sel:\n    F|utf16le|base64: 'cmd'\ncondition: sel", Ev(("F", Convert.ToBase64String([0x63, 0, 0x6d, 0, 0x64, 0])))));
        Assert.True(Matches("sel:\n    F|utf16be|base64: 'cmd'\ncondition: sel", Ev(("F", Convert.ToBase64String([0, 0x63, 0, 0x6d, 0, 0x64])))));
        Assert.True(Matches("sel:\n    F|utf16|base64: 'cmd'\ncondition: sel", Ev(("F", Convert.ToBase64String([0xFF, 0xFE, 0x63, 0, 0x6d, 0, 0x64, 0])))));
        Assert.True(Matches("sel:\n    F|wide|base64: 'cmd'\ncondition: sel", Ev(("F", Convert.ToBase64String([0x63, 0, 0x6d, 0, 0x64, 0])))));
    }

    [Fact]
    public void Exists_checks_presence_not_value()
    {
        Assert.True(Matches("sel:\n    F|exists: true\ncondition: sel", Ev(("F", ""))));
        Assert.False(Matches("sel:\n    F|exists: true\ncondition: sel", Ev(("G", "x"))));
        Assert.True(Matches("sel:\n    F|exists: false\ncondition: sel", Ev(("G", "x"))));
    }

    [Theory]
    [InlineData("4624", false)]
    [InlineData("4625", false)]
    [InlineData("4634", true)]
    public void Neq_is_true_when_the_field_differs_from_every_value(string value, bool expected) =>
        Assert.Equal(expected, Matches("sel:\n    EventID|neq:\n        - 4624\n        - 4625\ncondition: sel", Ev(("EventID", value))));

    [Theory]
    [InlineData("lt", "4", true)]
    [InlineData("lt", "5", false)]
    [InlineData("lte", "5", true)]
    [InlineData("gt", "6", true)]
    [InlineData("gt", "5", false)]
    [InlineData("gte", "5", true)]
    [InlineData("gte", "0x10", true)]
    [InlineData("gt", "not a number", false)]
    public void Numeric_comparisons(string op, string value, bool expected) =>
        Assert.Equal(expected, Matches($"sel:\n    Count|{op}: 5\ncondition: sel", Ev(("Count", value))));

    [Theory]
    [InlineData("minute", "2025-03-09T22:41:00Z", 41)]
    [InlineData("hour", "2025-03-09T22:41:00Z", 22)]
    [InlineData("day", "2025-03-09T22:41:00Z", 9)]
    [InlineData("week", "2025-03-09T22:41:00Z", 10)]
    [InlineData("month", "2025-03-09T22:41:00Z", 3)]
    [InlineData("year", "2025-03-09 22:41:00.123", 2025)]
    public void Time_modifiers_extract_a_number_from_a_date(string part, string value, int expected)
    {
        Assert.True(Matches($"sel:\n    UtcTime|{part}: {expected}\ncondition: sel", Ev(("UtcTime", value))));
        Assert.False(Matches($"sel:\n    UtcTime|{part}: {expected + 1}\ncondition: sel", Ev(("UtcTime", value))));
    }

    [Fact]
    public void Time_modifier_combines_with_a_comparison() =>
        Assert.True(Matches("sel:\n    UtcTime|hour|gte: 20\ncondition: sel", Ev(("UtcTime", "2025-03-09T22:41:00Z"))));

    [Fact]
    public void Fieldref_compares_two_fields_of_the_event()
    {
        const string Rule = "sel:\n    TargetUserName|fieldref: SubjectUserName\ncondition: sel";
        Assert.True(Matches(Rule, Ev(("TargetUserName", "Alice"), ("SubjectUserName", "alice"))));
        Assert.False(Matches(Rule, Ev(("TargetUserName", "Alice"), ("SubjectUserName", "bob"))));
        Assert.False(Matches(Rule, Ev(("TargetUserName", "Alice"))));
        Assert.True(Matches("sel:\n    TargetUserName|fieldref|neq: SubjectUserName\ncondition: sel", Ev(("TargetUserName", "Alice"), ("SubjectUserName", "bob"))));
    }

    [Fact]
    public void Expand_uses_configured_placeholder_values()
    {
        var options = new CompileOptions
        {
            Placeholders = new Dictionary<string, IReadOnlyList<string>>(StringComparer.OrdinalIgnoreCase) { ["Servers"] = ["srv-*", "dc01"] },
        };
        const string Rule = "sel:\n    Computer|expand: '%Servers%'\ncondition: sel";
        Assert.True(Matches(Rule, Ev(("Computer", "SRV-web1")), options));
        Assert.True(Matches(Rule, Ev(("Computer", "dc01")), options));
        Assert.False(Matches(Rule, Ev(("Computer", "laptop7")), options));
        Assert.False(Matches("sel:\n    Computer|expand: '\\%Servers%'\ncondition: sel", Ev(("Computer", "dc01")), options));
    }

    [Fact]
    public void Expand_with_an_undefined_placeholder_rejects_the_rule_as_unsupported()
    {
        var compiled = CompiledRuleSet.Compile(Load("sel:\n    Computer|expand: '%Workstations%'\ncondition: sel"));
        var error = Assert.Single(compiled.CompileErrors);
        Assert.True(error.Unsupported);
        Assert.Equal("11111111-1111-1111-1111-111111111111", error.RuleId);
        Assert.Contains("%Workstations%", error.Message, StringComparison.Ordinal);
        Assert.Equal(0, compiled.RuleCount);
    }
}
