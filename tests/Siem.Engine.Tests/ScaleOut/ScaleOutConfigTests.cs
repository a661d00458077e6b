using System.Text.RegularExpressions;
using Siem.Host.Server.Config;

namespace Siem.Engine.Tests.ScaleOut;

/// <summary>The <c>scale_out:</c> section of siem serve's config.</summary>
public sealed class ScaleOutConfigTests
{
    [Fact]
    public void Without_the_section_correlation_stays_in_the_engine_process()
    {
        var config = ServerConfigLoader.Parse("server:\n  data_dir: d\n", "siem.yml", "/tmp", _ => null);

        Assert.Null(config.ScaleOut);
    }

    [Fact]
    public void The_documented_sample_section_uncommented_loads_with_its_stated_values()
    {
        var sample = File.ReadAllText(Path.Combine(ScaleOutFixture.RepoRoot, "deploy", "server", "siem.yml"));
        var section = Regex.Match(sample, @"^# scale_out:.*?(?=^\s*$)", RegexOptions.Multiline | RegexOptions.Singleline).Value;
        var yaml = "server:\n  data_dir: d\n" + Regex.Replace(section, "^# ", "", RegexOptions.Multiline);

        var scaleOut = ServerConfigLoader.Parse(yaml, "siem.yml", "/tmp", _ => null).ScaleOut;

        Assert.NotNull(scaleOut);
        Assert.Equal(16, scaleOut.Partitions);
        Assert.True(scaleOut.ServerMapping);
        Assert.Equal(1, scaleOut.Replicas);
        Assert.Equal("engine-1", scaleOut.EngineId);
        Assert.Equal(TimeSpan.FromSeconds(2), scaleOut.SnapshotInterval);
        Assert.Equal(TimeSpan.FromSeconds(2), scaleOut.Membership.Heartbeat);
        Assert.Equal(TimeSpan.FromSeconds(10), scaleOut.Membership.Lease);
        Assert.Equal(TimeSpan.FromHours(1), scaleOut.ContributionMaxAge);
    }

    [Theory]
    [InlineData("scale_out:\n  partition_mapping: nats\n", "siem.yml:4:22: scale_out.partition_mapping: expected server or engine, got 'nats'")]
    [InlineData("scale_out:\n  partitions: 0\n", "siem.yml:4:15: scale_out.partitions: expected a positive integer up to 1024")]
    [InlineData("scale_out:\n  engine_id: engine one\n", "scale_out.engine_id: expected a name from A-Z a-z 0-9 - _, unique per engine process, got 'engine one'")]
    [InlineData("scale_out:\n  heartbeat_ms: 5000\n  lease_ms: 6000\n", "scale_out.lease_ms: expected at least twice heartbeat_ms (5000)")]
    [InlineData("scale_out:\n  partition: 4\n", "scale_out.partition: unknown key")]
    public void A_bad_scale_out_section_is_refused_naming_the_key(string section, string expected)
    {
        var e = Assert.Throws<ServerConfigException>(() => ServerConfigLoader.Parse("server:\n  data_dir: d\n" + section, "siem.yml", "/tmp", _ => null));

        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Enabled_false_keeps_correlation_in_the_engine_process()
    {
        Assert.Null(ServerConfigLoader.Parse("server:\n  data_dir: d\nscale_out:\n  enabled: false\n  partitions: 8\n", "siem.yml", "/tmp", _ => null).ScaleOut);
    }
}
