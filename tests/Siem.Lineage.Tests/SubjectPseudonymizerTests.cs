using System.Text;
using Siem.Core.Events;
using Siem.Lineage;
using Siem.Lineage.Subjects;

namespace Siem.Lineage.Tests;

public sealed class SubjectPseudonymizerTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("siem-subj-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static byte[] Key(byte fill) => Enumerable.Repeat(fill, 32).ToArray();

    [Fact]
    public void Same_value_under_the_same_key_gets_the_same_32_hex_id_after_canonicalisation()
    {
        var p = new SubjectPseudonymizer(Key(1));
        var id = p.SubjectId("user.name", "Alice");
        Assert.Matches("^[0-9a-f]{32}$", id);
        Assert.Equal(id, p.SubjectId("user.name", "  alice "));
        Assert.Equal(id, p.SubjectId("user.target.name", "ALICE"));
        Assert.Equal(id, p.SubjectId("user.name=alice"));
        Assert.Equal(id, new SubjectPseudonymizer(Key(1)).SubjectId("user.name", "alice"));
    }

    [Fact]
    public void Ip_addresses_are_one_subject_in_every_ip_field_and_in_canonical_form()
    {
        var p = new SubjectPseudonymizer(Key(1));
        var id = p.SubjectId("source.ip", "10.0.0.7");
        Assert.Equal(id, p.SubjectId("destination.ip", "10.0.0.7"));
        Assert.Equal(id, p.SubjectId("client.ip", "::ffff:10.0.0.7"));
        Assert.Equal(p.SubjectId("source.ip", "2001:db8::1"), p.SubjectId("source.ip", "2001:0DB8:0000:0000:0000:0000:0000:0001"));
        Assert.Equal("ip=10.0.0.7", SubjectPseudonymizer.Canonical("source.ip", " ::ffff:10.0.0.7 "));
        Assert.Equal("email=bob@example.org", SubjectPseudonymizer.Canonical("user.email", "Bob@Example.org"));
    }

    [Fact]
    public void A_different_key_gives_a_different_id_and_different_values_differ()
    {
        var a = new SubjectPseudonymizer(Key(1));
        var b = new SubjectPseudonymizer(Key(2));
        Assert.NotEqual(a.SubjectId("user.name", "alice"), b.SubjectId("user.name", "alice"));
        Assert.NotEqual(a.SubjectId("user.name", "alice"), a.SubjectId("user.name", "alicf"));
        Assert.NotEqual(a.SubjectId("user.name", "alice"), a.SubjectId("host.name", "alice"));
    }

    [Fact]
    public void Record_subjects_come_from_configured_fields_only_and_host_name_only_for_personal_devices()
    {
        var e = new LogEvent { RecordId = "r1" };
        e.Set(EcsFields.UserName, "alice");
        e.Set(EcsFields.SourceIp, "10.0.0.7");
        e.Set(EcsFields.DestinationIp, "10.0.0.7");
        e.Set(EcsFields.HostName, "alice-laptop");
        e.Set(EcsFields.ProcessName, "sshd");
        var plain = new SubjectPseudonymizer(Key(1));
        Assert.Equal([plain.SubjectId("user.name", "alice"), plain.SubjectId("source.ip", "10.0.0.7")], plain.SubjectIdsOf(e));

        var personal = new SubjectPseudonymizer(Key(1), SubjectFieldOptions.Default with { PersonalHosts = ["Alice-Laptop"] });
        Assert.Contains(personal.SubjectId("host.name", "alice-laptop"), personal.SubjectIdsOf(e));
        e.Set(EcsFields.HostName, "web1");
        Assert.Equal(2, personal.SubjectIdsOf(e).Count);
    }

    [Fact]
    public void The_key_file_is_created_once_with_mode_0600_and_reused()
    {
        var first = SubjectPseudonymizer.Open(_dir).SubjectId("user.name", "alice");
        var path = LineagePaths.Key(_dir);
        Assert.Equal(32, new FileInfo(path).Length);
        if (!OperatingSystem.IsWindows()) Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        Assert.Equal(first, SubjectPseudonymizer.Open(_dir).SubjectId("user.name", "alice"));
        Assert.DoesNotContain("alice", Encoding.Latin1.GetString(File.ReadAllBytes(path)), StringComparison.Ordinal);
    }

    [Fact]
    public void A_truncated_key_file_is_refused_with_its_path()
    {
        Directory.CreateDirectory(LineagePaths.Directory(_dir));
        File.WriteAllBytes(LineagePaths.Key(_dir), new byte[5]);
        var ex = Assert.Throws<InvalidDataException>(() => SubjectPseudonymizer.Open(_dir));
        Assert.Contains(LineagePaths.Key(_dir), ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Subject_fields_come_from_subjects_json_and_bad_selectors_are_refused()
    {
        Directory.CreateDirectory(LineagePaths.Directory(_dir));
        File.WriteAllText(LineagePaths.SubjectFields(_dir), """{"fields": ["user.name", "user.id"], "personal_hosts": ["pc-7"]}""");
        var options = SubjectFieldOptions.Load(_dir);
        Assert.Equal(["user.name", "user.id"], options.Fields);
        Assert.Equal(["pc-7"], options.PersonalHosts);
        Assert.Throws<FormatException>(() => SubjectPseudonymizer.ParseSelector("alice"));
        Assert.Throws<FormatException>(() => SubjectPseudonymizer.ParseSelector("user.name="));
        Assert.Throws<ArgumentException>(() => new SubjectPseudonymizer(Key(1)).SubjectId("user.name", "  "));
    }
}
