using System.Text;
using Siem.Core.Events;
using Siem.Lineage.Shredding;
using Siem.Lineage.Subjects;

namespace Siem.Lineage.Tests;

public sealed class ShreddingTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("siem-shred-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static LogEvent Mail(string id, params string[] emails)
    {
        var e = new LogEvent { RecordId = id, Original = "login" };
        if (emails.Length == 1) e.Set(EcsFields.UserEmail, emails[0]);
        else foreach (var m in emails) e.Add(EcsFields.UserEmail, m);
        e.Set(EcsFields.UserName, "bob");
        return e;
    }

    [Fact]
    public async Task Protected_fields_hold_only_ciphertext_and_a_blind_index_and_reveal_their_value()
    {
        using var keys = SqliteSubjectKeyStore.Open(_dir);
        var protector = FieldProtector.Open(_dir, keys);
        var e = Mail("r1", "Bob@Example.org");
        Assert.Equal(1, await protector.ProtectAsync(e));

        var sealedValue = e.Get(EcsFields.UserEmail)!;
        Assert.StartsWith(FieldProtector.Prefix + SubjectPseudonymizer.Open(_dir).SubjectId("user.email", "bob@example.org") + ":", sealedValue, StringComparison.Ordinal);
        Assert.DoesNotContain("example", sealedValue, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(protector.BlindIndex("user.email", " bob@EXAMPLE.org"), e.Get("user.email.bidx"));
        Assert.NotEqual(protector.BlindIndex("user.email", "alice@example.org"), e.Get("user.email.bidx"));
        Assert.Equal("bob", e.Get(EcsFields.UserName));
        Assert.Equal("Bob@Example.org", await protector.RevealAsync("user.email", sealedValue));
        // Protecting twice does not double-encrypt.
        Assert.Equal(0, await protector.ProtectAsync(e));
        Assert.Equal(sealedValue, e.Get(EcsFields.UserEmail));
    }

    [Fact]
    public async Task Destroying_a_subjects_key_shreds_its_values_everywhere_and_leaves_other_subjects_readable()
    {
        string bobSealed, aliceSealed;
        using (var keys = SqliteSubjectKeyStore.Open(_dir))
        {
            var protector = FieldProtector.Open(_dir, keys);
            var e = Mail("r1", "bob@example.org", "alice@example.org");
            Assert.Equal(2, await protector.ProtectAsync(e));
            var values = (string[])e.Fields[EcsFields.UserEmail];
            (bobSealed, aliceSealed) = (values[0], values[1]);
            Assert.Equal(2, ((string[])e.Fields["user.email.bidx"]).Length);

            var bob = SubjectPseudonymizer.Open(_dir).SubjectId("user.email", "bob@example.org");
            Assert.True(await keys.DestroyKeyAsync(bob));
            Assert.False(await keys.DestroyKeyAsync(bob));
            Assert.Null(await protector.RevealAsync("user.email", bobSealed));
            Assert.Equal("alice@example.org", await protector.RevealAsync("user.email", aliceSealed));
        }
        // Reopened (a restart, or a copy made before the purge being read later): still shredded, alice still readable.
        using var reopened = SqliteSubjectKeyStore.Open(_dir);
        var again = FieldProtector.Open(_dir, reopened);
        Assert.Null(await again.RevealAsync("user.email", bobSealed));
        Assert.Equal("alice@example.org", await again.RevealAsync("user.email", aliceSealed));
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(_dir, "lineage", "keys.db")));
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(_dir, "lineage", "keys.kek")));
        }
    }

    [Fact]
    public async Task A_key_destroyed_by_a_purge_in_another_process_stops_decrypting_in_a_running_process_that_had_it_cached()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        // The engine (or API) process: its own key store instance over the data dir, keys cached after first use.
        using var engineKeys = SqliteSubjectKeyStore.Open(_dir);
        var engine = FieldProtector.Open(_dir, engineKeys);
        var e = Mail("r1", "bob@example.org", "alice@example.org");
        Assert.Equal(2, await engine.ProtectAsync(e));
        var (bobSealed, aliceSealed) = (((string[])e.Fields[EcsFields.UserEmail])[0], ((string[])e.Fields[EcsFields.UserEmail])[1]);
        Assert.Equal("bob@example.org", await engine.RevealAsync("user.email", bobSealed));

        // `siem purge` elsewhere: another connection to the same key store destroys bob's key.
        using (var purgeKeys = SqliteSubjectKeyStore.Open(_dir))
            Assert.True(await purgeKeys.DestroyKeyAsync(SubjectPseudonymizer.Open(_dir).SubjectId("user.email", "bob@example.org"), cts.Token));

        // Within the key store's generation check interval, the running process no longer decrypts bob's value.
        while (await engine.RevealAsync("user.email", bobSealed, cts.Token) != null) await Task.Delay(20, cts.Token);
        Assert.Equal("alice@example.org", await engine.RevealAsync("user.email", aliceSealed, cts.Token));
    }

    [Fact]
    public async Task A_subjects_key_is_stable_across_restarts_and_stored_wrapped_not_in_the_clear()
    {
        byte[] key;
        using (var keys = SqliteSubjectKeyStore.Open(_dir)) key = await keys.GetOrCreateKeyAsync("s1");
        using (var keys = SqliteSubjectKeyStore.Open(_dir))
        {
            Assert.Equal(key, await keys.GetOrCreateKeyAsync("s1"));
            Assert.Null(await keys.TryGetKeyAsync("s2"));
        }
        var db = File.ReadAllBytes(Path.Combine(_dir, "lineage", "keys.db"));
        Assert.Equal(-1, db.AsSpan().IndexOf(key));
    }

    [Fact]
    public async Task A_tampered_or_moved_ciphertext_is_refused_not_decrypted()
    {
        using var keys = SqliteSubjectKeyStore.Open(_dir);
        var protector = FieldProtector.Open(_dir, keys);
        var e = Mail("r1", "bob@example.org");
        await protector.ProtectAsync(e);
        var sealedValue = e.Get(EcsFields.UserEmail)!;
        var tampered = sealedValue[..^3] + (sealedValue[^3] == 'A' ? 'B' : 'A') + sealedValue[^2..];
        await Assert.ThrowsAsync<FormatException>(async () => await protector.RevealAsync("user.email", tampered));
        await Assert.ThrowsAsync<FormatException>(async () => await protector.RevealAsync("user.name", sealedValue));
        await Assert.ThrowsAsync<FormatException>(async () => await protector.RevealAsync("user.email", "bob@example.org"));
        Assert.DoesNotContain("bob@example.org", Encoding.Latin1.GetString(File.ReadAllBytes(Path.Combine(_dir, "lineage", "keys.db"))), StringComparison.Ordinal);
    }
}
