using Siem.Collectors.Config;
using Siem.Collectors.Spool;

namespace Siem.Collectors.Tests.Config;

public sealed class AgentConfigLoaderTests
{
    private static string SamplePath() => Path.Combine(RepoRoot.Path, "deploy", "agent", "siem-agent.yml");

    [Fact]
    public void The_documented_sample_config_loads_with_its_values()
    {
        var c = AgentConfigLoader.Load(SamplePath());

        Assert.Equal("web-01", c.AgentId);
        Assert.Equal("acme", c.Tenant);
        Assert.Equal("/var/lib/siem-agent", c.StateDir);
        Assert.Equal(["nats://127.0.0.1:4222"], c.Servers);
        Assert.Equal(2, c.Sources.Count);
        Assert.Equal("auth", c.Sources[0].Name);
        Assert.Equal(["/var/log/auth.log", "/var/log/secure"], c.Sources[0].Paths);
        Assert.Equal("UTC", c.TimeZone!.Id);
        Assert.Equal(500, c.Batch.MaxRecords);
        Assert.Equal(524288, c.Batch.MaxBytes);
        Assert.Equal(TimeSpan.FromMilliseconds(200), c.Batch.Linger);
        Assert.Equal(SpoolFullPolicy.Backpressure, c.Spool.FullPolicy);
        Assert.Equal(268435456, c.Spool.MaxBytes);
        Assert.Equal(32, c.Delivery.MaxInFlight);
        Assert.Equal(2097152, c.Delivery.MaxInFlightBytes);
    }

    [Fact]
    public void A_non_numeric_limit_is_refused_with_file_line_column_key_expected_and_got()
    {
        const string yaml = "agent:\n  state_dir: /tmp/s\nbatch:\n  max_records: abc\n";
        var e = Assert.Throws<AgentConfigException>(() => AgentConfigLoader.Parse(yaml, "agent.yml", "/etc"));
        Assert.Equal("agent.yml:4:16: batch.max_records: expected a positive integer up to 100000, got 'abc'", e.Message);
    }

    [Theory]
    [InlineData("agent:\n  state_dir: /s\nspool:\n  full_policy: panic\n", "agent.yml:4:16: spool.full_policy: expected backpressure or drop_oldest, got 'panic'")]
    [InlineData("agent:\n  state_dir: /s\nbatch:\n  max_recrods: 5\n", "agent.yml:4:3: batch.max_recrods: unknown key (expected one of max_records, max_bytes, linger_ms)")]
    [InlineData("agent:\n  id: web-01\n", "agent.yml:2:3: agent.state_dir: required key is missing")]
    [InlineData("agent:\n  state_dir: /s\nsources:\n  - type: carrier_pigeon\n", "agent.yml:4:11: sources[0].type: expected file, syslog_udp, syslog_tcp, journald, stdin, got 'carrier_pigeon'")]
    [InlineData("agent:\n  state_dir: /s\nsources:\n  - type: syslog_udp\n    listen: nowhere\n", "agent.yml:5:13: sources[0].listen: expected host:port, e.g. 0.0.0.0:5514, got 'nowhere'")]
    [InlineData("agent:\n  state_dir: /s\nservers:\n  urls: [http://x:4222]\n", "agent.yml:4:10: servers.urls[0]: expected a nats://host:port or tls://host:port URL, got 'http://x:4222'")]
    [InlineData("agent:\n  state_dir: /s\nparser:\n  timezone: Mars/Olympus\n", "agent.yml:4:13: parser.timezone: expected an IANA time zone such as UTC or Europe/Paris, got 'Mars/Olympus'")]
    [InlineData("agent:\n  state_dir: /s\nspool:\n  fsync: maybe\n", "agent.yml:4:10: spool.fsync: expected true or false, got 'maybe'")]
    [InlineData("agent:\n  state_dir: /s\nbatch: 5\n", "agent.yml:3:8: batch: expected a mapping of keys, got '5'")]
    [InlineData("agent:\n  state_dir: /s\nsources:\n  - type: syslog_udp\n    listen: 0.0.0.0:5514\n    module: Cisco IOS\n", "agent.yml:6:13: sources[0].module: expected a module name of 1-64 characters from a-z 0-9 . _ - starting with a letter or digit (e.g. cisco, postgresql), got 'Cisco IOS'")]
    public void Bad_values_are_refused_with_where_and_what(string yaml, string expected)
    {
        var e = Assert.Throws<AgentConfigException>(() => AgentConfigLoader.Parse(yaml, "agent.yml", "/etc"));
        Assert.Equal(expected, e.Message);
    }

    [Fact]
    public void A_source_module_label_is_read_for_every_source_type()
    {
        var c = AgentConfigLoader.Parse("""
            agent:
              state_dir: /s
            sources:
              - type: syslog_udp
                listen: 0.0.0.0:5514
                module: cisco
              - type: file
                paths: [/var/log/postgresql/*.log]
                module: postgresql
              - type: journald
            """, "agent.yml", "/etc");

        Assert.Equal(["cisco", "postgresql", null], c.Sources.Select(s => s.Module));
    }

    [Fact]
    public void Invalid_yaml_syntax_names_the_position()
    {
        var e = Assert.Throws<AgentConfigException>(() => AgentConfigLoader.Parse("agent:\n  state_dir: [unclosed\n", "agent.yml"));
        Assert.StartsWith("agent.yml:", e.Message, StringComparison.Ordinal);
        Assert.Contains("invalid YAML", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Relative_paths_resolve_against_the_config_directory_and_defaults_apply()
    {
        var c = AgentConfigLoader.Parse("agent:\n  state_dir: state\nsources:\n  - type: file\n    paths: logs/*.log\n", "agent.yml", "/etc/siem");
        Assert.Equal("/etc/siem/state", c.StateDir);
        Assert.Equal(["/etc/siem/logs/*.log"], c.Sources[0].Paths);
        Assert.Equal("file-0", c.Sources[0].Name);
        Assert.Equal(500, c.Batch.MaxRecords);
        Assert.Equal(SpoolFullPolicy.Backpressure, c.Spool.FullPolicy);
    }

    [Fact]
    public void The_config_string_form_hides_credentials()
    {
        var c = AgentConfigLoader.Parse("agent:\n  state_dir: /s\nservers:\n  password: hunter2\n  token: t0k3n\n", "agent.yml");
        Assert.DoesNotContain("hunter2", c.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("t0k3n", c.ToString(), StringComparison.Ordinal);
        Assert.Equal("hunter2", c.Password);
    }
}
