using Siem.Host.Server;
using Siem.Host.Server.Config;

namespace Siem.Engine.Tests;

/// <summary>`siem serve`'s YAML: the documented sample loads, and every mistake is refused with file:line:column, key and what is expected.</summary>
public sealed class ServerConfigTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("siem-serverconfig-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static string RepoRoot()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d != null; d = d.Parent)
        {
            if (File.Exists(Path.Combine(d.FullName, "deploy", "server", "siem.yml"))) return d.FullName;
        }
        throw new InvalidOperationException("deploy/server/siem.yml not found above the test assembly");
    }

    [Fact]
    public void The_documented_sample_loads_with_its_stated_values()
    {
        var config = ServerConfigLoader.Load(Path.Combine(RepoRoot(), "deploy", "server", "siem.yml"), _ => null);

        Assert.Equal("/var/lib/siem", config.DataDir);
        Assert.Equal(["engine"], config.Roles);
        Assert.Equal(["nats://127.0.0.1:4222"], config.NatsServers);
        Assert.Equal("sqlite", config.IndexKind);
        Assert.True(config.IncludePack);
        Assert.Equal(64, config.BatchSize);
        Assert.Equal(256, config.BufferCapacity);
        Assert.Equal(TimeSpan.FromSeconds(30), config.AckWait);
        Assert.Equal(NodaTime.Duration.FromMinutes(15), config.SuppressionWindow);
        Assert.Empty(config.EnrollmentTokens);
    }

    [Theory]
    [InlineData("server:\n  data_dir: d\nengine:\n  batch_size: abc\n", "siem.yml:4:15: engine.batch_size: expected a positive integer up to 10000, got 'abc'")]
    [InlineData("server:\n  data_dir: d\nengine:\n  batchsize: 5\n", "siem.yml:4:3: engine.batchsize: unknown key (expected one of durable, batch_size,")]
    [InlineData("server:\n  roles: [engine]\n", "siem.yml:2:3: server.data_dir: required key is missing")]
    [InlineData("server:\n  data_dir: d\nnats:\n  urls: [http://x:4222]\n", "siem.yml:4:9: nats.urls: expected nats://host:port or tls://host:port URLs, got 'http://x:4222'")]
    [InlineData("server:\n  data_dir: d\nindex:\n  type: mongo\n", "siem.yml:4:9: index.type: expected sqlite or elasticsearch, got 'mongo'")]
    [InlineData("server:\n  data_dir: d\nindex:\n  type: elasticsearch\n", "index.elasticsearch: expected an elasticsearch: section with at least url")]
    [InlineData("server:\n  data_dir: d\n  roles: [engine, ledgr]\n", "siem.yml:3:10: server.roles: expected roles from engine")]
    [InlineData("server:\n  data_dir: d\nenrollment:\n  tokens_env: SIEM_TEST_UNSET_TOKENS\n", "siem.yml:4:15: enrollment.tokens_env: expected the name of a set environment variable (comma-separated tokens), got 'SIEM_TEST_UNSET_TOKENS', which is not set")]
    [InlineData("server:\n  data_dir: d\n  x: [\n", "siem.yml:4:1: invalid YAML")]
    public void A_bad_file_is_refused_naming_the_place_the_key_and_what_is_expected(string yaml, string expected)
    {
        var e = Assert.Throws<ServerConfigException>(() => ServerConfigLoader.Parse(yaml, "siem.yml", _dir, _ => null));

        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Secrets_come_from_named_environment_variables_and_never_appear_in_ToString()
    {
        var env = new Dictionary<string, string> { ["NATS_PW"] = "hunter2-nats", ["TOKENS"] = "0123456789abcdef0123, fedcba9876543210fedc" };
        var config = ServerConfigLoader.Parse(
            "server:\n  data_dir: d\nnats:\n  user: engine\n  password_env: NATS_PW\nenrollment:\n  tokens_env: TOKENS\n", "siem.yml", _dir, n => env.GetValueOrDefault(n));

        Assert.Equal("hunter2-nats", config.NatsPassword);
        Assert.Equal(["0123456789abcdef0123", "fedcba9876543210fedc"], config.EnrollmentTokens);
        Assert.Equal(Path.Combine(_dir, "d"), config.DataDir);
        Assert.DoesNotContain("hunter2", config.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("0123456789abcdef", config.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    public void An_enrollment_token_file_others_can_read_is_refused_and_a_0600_one_is_read()
    {
        var file = Path.Combine(_dir, "tokens");
        File.WriteAllText(file, "# agents of site A\n0123456789abcdef0123\n\n");
        File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        const string yaml = "server:\n  data_dir: d\nenrollment:\n  tokens_file: tokens\n";

        var e = Assert.Throws<ServerConfigException>(() => ServerConfigLoader.Parse(yaml, "siem.yml", _dir, _ => null));
        Assert.Contains("siem.yml:4:16: enrollment.tokens_file: expected a file only its owner can read (chmod 600)", e.Message, StringComparison.Ordinal);

        File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        Assert.Equal(["0123456789abcdef0123"], ServerConfigLoader.Parse(yaml, "siem.yml", _dir, _ => null).EnrollmentTokens);
    }

    [Fact]
    public void An_unknown_role_on_the_command_line_is_an_error_listing_the_known_roles()
    {
        var e = Assert.Throws<ArgumentException>(() => ServerRoles.Create(["engine", "ledgr"]));

        Assert.Equal($"unknown role 'ledgr' (known roles: {string.Join(", ", ServerRoles.Names)})", e.Message);
        Assert.Contains("engine", ServerRoles.Names);
        Assert.Equal(["engine"], ServerRoles.Create(["engine", " engine"]).Select(r => r.Name));
    }
}
