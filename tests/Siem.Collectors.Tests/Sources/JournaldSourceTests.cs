using System.Text.Json;
using Siem.Collectors.Sources;
using static Siem.Collectors.Tests.Sources.SourceTestKit;

namespace Siem.Collectors.Tests.Sources;

/// <summary>
/// journald does not run in this container (journalctl exists but the journal is empty), so these tests point the
/// source at a shell-script stand-in that behaves as journalctl(1) documents for <c>-o json -f --after-cursor=</c>:
/// one JSON object per line with its __CURSOR, starting after the given cursor, then following.
/// </summary>
public sealed class JournaldSourceTests
{
    private const string StandIn = """
        #!/bin/sh
        # Stand-in for journalctl -o json -f: prints the entries after --after-cursor=CURSOR, then follows (sleeps).
        dir="$(dirname "$0")"
        printf '%s\n' "$*" >> "$dir/args.log"
        after=""
        for a in "$@"; do case "$a" in --after-cursor=*) after="${a#--after-cursor=}";; esac; done
        printing=1
        [ -n "$after" ] && printing=0
        while IFS= read -r line; do
          if [ $printing -eq 1 ]; then printf '%s\n' "$line"; fi
          case "$line" in *"\"__CURSOR\":\"$after\""*) printing=1;; esac
        done < "$dir/entries.jsonl"
        if [ -f "$dir/fail" ]; then echo "Failed to open journal: stand-in failure" >&2; exit 1; fi
        exec sleep 60
        """;

    [Fact]
    public async Task Entries_resume_after_the_committed_cursor_on_restart()
    {
        using var dir = new TempDir();
        using var cts = Timeout();
        var script = WriteStandIn(dir);
        WriteEntries(dir, 1, 5);
        var options = new JournaldOptions { JournalctlPath = script, CursorPath = dir.File("state/journald.cursor"), Arguments = ["--unit=sshd.service"] };

        await using (var source = new JournaldSource(options))
        {
            await using var reader = source.ReadAsync(cts.Token).GetAsyncEnumerator(cts.Token);
            var lines = await reader.TakeAsync(5);
            Assert.Equal(Enumerable.Range(1, 5).Select(i => $"message {i}"), lines.Select(Message));
            Assert.Equal([1L, 2L, 3L, 4L, 5L], lines.Select(l => l.Offset));
            Assert.All(lines, l => Assert.Equal("journald", l.SourceKey));
            await source.CommitAsync(lines[2], cts.Token);
        }

        Assert.Equal(Cursor(3), File.ReadAllText(dir.File("state/journald.cursor")));
        WriteEntries(dir, 6, 1, append: true);
        await using var restarted = new JournaldSource(options);
        await using var again = restarted.ReadAsync(cts.Token).GetAsyncEnumerator(cts.Token);
        var resumed = await again.TakeAsync(3);

        Assert.Equal(["message 4", "message 5", "message 6"], resumed.Select(Message));
        var args = File.ReadAllLines(dir.File("args.log"));
        Assert.Equal("-o json -f --no-pager --since=now --unit=sshd.service", args[0]);
        Assert.Equal($"-o json -f --no-pager --after-cursor={Cursor(3)} --unit=sshd.service", args[1]);
    }

    [Fact]
    public async Task When_journalctl_exits_it_is_restarted_after_the_last_entry_read_and_the_error_is_reported()
    {
        using var dir = new TempDir();
        using var cts = Timeout();
        var script = WriteStandIn(dir);
        WriteEntries(dir, 1, 2);
        File.WriteAllText(dir.File("fail"), string.Empty);
        var options = new JournaldOptions { JournalctlPath = script, CursorPath = dir.File("cursor"), RestartDelay = TimeSpan.FromMilliseconds(50) };
        await using var source = new JournaldSource(options);
        await using var reader = source.ReadAsync(cts.Token).GetAsyncEnumerator(cts.Token);

        var first = await reader.TakeAsync(2);
        WriteEntries(dir, 3, 1, append: true);
        var next = await reader.TakeAsync(1);

        Assert.Equal(["message 1", "message 2", "message 3"], first.Concat(next).Select(Message));
        Assert.True(source.Stats.Errors >= 1);
        Assert.Contains("stand-in failure", source.LastError, StringComparison.Ordinal);
        Assert.Contains($"--after-cursor={Cursor(2)}", File.ReadAllLines(dir.File("args.log"))[1], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Disposing_the_source_ends_a_waiting_reader_and_stops_journalctl()
    {
        using var dir = new TempDir();
        using var cts = Timeout();
        WriteEntries(dir, 1, 1);
        var source = new JournaldSource(new JournaldOptions { JournalctlPath = WriteStandIn(dir), CursorPath = dir.File("cursor") });
        await using var reader = source.ReadAsync(cts.Token).GetAsyncEnumerator(cts.Token);
        await reader.TakeAsync(1);
        var waiting = reader.MoveNextAsync();

        await source.DisposeAsync();

        Assert.False(await waiting);
        Assert.Single(File.ReadAllLines(dir.File("args.log")));
    }

    [Fact]
    public void The_sequence_number_is_read_from_the_cursor()
    {
        Assert.Equal(0x1a2b, JournaldSource.SequenceNumber("s=739ad463348b4ceca5a9e69c95a3c93f;i=1a2b;b=6f2c8a3e;m=2e1f;t=5f0a;x=9c"));
        Assert.Equal(-1, JournaldSource.SequenceNumber("not a cursor"));
    }

    private static string Message(RawLine line) => JsonDocument.Parse(line.Text).RootElement.GetProperty("MESSAGE").GetString()!;

    private static string Cursor(int i) => $"s=739ad463348b4ceca5a9e69c95a3c93f;i={i:x};b=6f2c8a3e1d5b4c7a9e0f1a2b3c4d5e6f;m={i * 1000:x};t={1763784000000000 + i:x};x=5a{i:x}";

    private static void WriteEntries(TempDir dir, int from, int count, bool append = false)
    {
        var lines = Enumerable.Range(from, count).Select(i => JsonSerializer.Serialize(new Dictionary<string, string>
        {
            ["__CURSOR"] = Cursor(i),
            ["__REALTIME_TIMESTAMP"] = (1763784000000000 + i).ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["_HOSTNAME"] = "host1",
            ["SYSLOG_IDENTIFIER"] = "sshd",
            ["MESSAGE"] = $"message {i}",
        }) + "\n");
        if (append)
        {
            File.AppendAllText(dir.File("entries.jsonl"), string.Concat(lines));
        }
        else
        {
            File.WriteAllText(dir.File("entries.jsonl"), string.Concat(lines));
        }
    }

    private static string WriteStandIn(TempDir dir)
    {
        var path = dir.File("journalctl");
        File.WriteAllText(path, StandIn.Replace("\r\n", "\n", StringComparison.Ordinal) + "\n");
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        return path;
    }
}
