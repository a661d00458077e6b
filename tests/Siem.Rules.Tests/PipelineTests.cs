using Siem.Core.Events;
using Siem.Rules.Pipelines;

namespace Siem.Rules.Tests;

/// <summary>Field-mapping pipelines: YAML format, logsource selection, one-to-many mapping, event conditions, errors.</summary>
public sealed class PipelineTests
{
    private static readonly SigmaLogsource Sshd = new("linux", null, "sshd");
    private static readonly SigmaLogsource Auditd = new("linux", null, "auditd");
    private static readonly SigmaLogsource Sysmon = new("windows", "process_creation", null);

    [Fact]
    public void Default_pipeline_maps_linux_taxonomy_fields_to_the_agents_ecs_fields()
    {
        var p = FieldMappingPipeline.Load(PackPaths.DefaultPipeline);

        Assert.Equal(["user.name"], p.Map(Sshd, "User"));
        Assert.Equal(["source.ip"], p.Map(new SigmaLogsource("linux", null, "auth"), "SourceIp"));
        Assert.Equal(["exe", "auditd.exe", "process.executable"], p.Map(Auditd, "exe"));
        Assert.Equal(["type", "auditd.record_types"], p.Map(Auditd, "type"));
        Assert.Equal(["process.command_line"], p.Map(new SigmaLogsource("linux", "process_creation", null), "CommandLine"));
    }

    [Fact]
    public void Windows_native_fields_and_unmapped_names_pass_through()
    {
        var p = FieldMappingPipeline.Load(PackPaths.DefaultPipeline);

        Assert.Equal(["Image"], p.Map(Sysmon, "Image"));
        Assert.Equal(["CommandLine"], p.Map(Sysmon, "CommandLine"));
        Assert.Equal(["source.ip"], p.Map(Sshd, "source.ip"));
    }

    [Fact]
    public void Event_conditions_keep_rules_of_one_service_off_events_of_another()
    {
        var p = FieldMappingPipeline.Load(PackPaths.DefaultPipeline);
        var sshd = new LogEvent { RecordId = "1" };
        sshd.Set("process.name", "sshd");
        var cron = new LogEvent { RecordId = "2" };
        cron.Set("process.name", "CRON");

        Assert.True(p.Accepts(Sshd, sshd));
        Assert.False(p.Accepts(Sshd, cron));
        Assert.True(p.Accepts(Sysmon, cron)); // no conditions for Windows rules
    }

    [Fact]
    public void First_applicable_transformation_wins_and_lists_match_any_of_the_logsource_values()
    {
        var p = FieldMappingPipeline.Parse("""
            name: t
            transformations:
              - id: specific
                logsource: {product: linux, service: [sshd, sudo]}
                field_mappings: {User: [user.name, user.target.name]}
              - id: general
                logsource: {product: linux}
                field_mappings: {User: account}
            """, "t.yml");

        Assert.Equal("t", p.Name);
        Assert.Equal(["user.name", "user.target.name"], p.Map(new SigmaLogsource("linux", null, "sudo"), "User"));
        Assert.Equal(["account"], p.Map(new SigmaLogsource("linux", null, "cron"), "User"));
        Assert.Equal(["User"], p.Map(new SigmaLogsource("macos", null, "sudo"), "User"));
    }

    [Theory]
    [InlineData("transformations:\n  - id: x\n    logsource: {product: linux}\n    field_mapings: {a: b}\n", 4, 5, "unknown transformation key 'field_mapings'")]
    [InlineData("transformations:\n  - logsource: {produkt: linux}\n", 2, 17, "unknown logsource key 'produkt'")]
    [InlineData("transformations:\n  - field_mappings:\n      User: []\n", 3, 13, "'field_mappings.User' must name at least one field")]
    [InlineData("transformations: [\n", 2, 1, "invalid YAML")]
    [InlineData("name: only\n", 1, 1, "'transformations' must be a list")]
    public void Bad_pipeline_yaml_is_reported_with_file_line_and_column(string yaml, int line, int column, string message)
    {
        var ex = Assert.Throws<PipelineLoadException>(() => FieldMappingPipeline.Parse(yaml, "bad.yml"));

        Assert.Equal(("bad.yml", line, column), (ex.Path, ex.Line, ex.Column));
        Assert.Contains(message, ex.Message, StringComparison.Ordinal);
        Assert.StartsWith($"bad.yml:{line}:{column}: ", ex.Message, StringComparison.Ordinal);
    }
}
