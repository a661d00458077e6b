using Siem.Collectors.Sources;
using static Siem.Collectors.Tests.Sources.SourceTestKit;

namespace Siem.Collectors.Tests.Sources;

public sealed class FileTailSourceTests
{
    [Fact]
    public async Task Tailing_yields_existing_lines_then_appended_lines_with_byte_offsets_and_path()
    {
        using var dir = new TempDir();
        using var cts = Timeout();
        var log = dir.File("app.log");
        Append(log, "first\r\nsecond\n");
        await using var source = new FileTailSource(FastOptions(dir, "*.log"));
        await using var reader = source.ReadAsync(cts.Token).GetAsyncEnumerator(cts.Token);

        var early = await reader.TakeAsync(2);
        Append(log, "third\n");
        var late = await reader.TakeAsync(1);

        Assert.Equal(["first", "second", "third"], early.Concat(late).Select(l => l.Text));
        Assert.Equal([0L, 7L, 14L], early.Concat(late).Select(l => l.Offset));
        Assert.Equal([7L, 14L, 20L], early.Concat(late).Select(l => l.NextOffset));
        Assert.All(early.Concat(late), l => Assert.Equal(log, l.Path));
        Assert.All(early.Concat(late), l => Assert.Equal("file", l.Source));
        Assert.Matches("^file:[0-9]+:[0-9]+$", early[0].SourceKey);
        Assert.Equal(3, source.Stats.Lines);
        Assert.Equal(20, source.Stats.Bytes);
    }

    [Fact]
    public async Task Rename_rotation_yields_every_line_exactly_once_in_order()
    {
        using var dir = new TempDir();
        using var cts = Timeout();
        var log = dir.File("app.log");
        Append(log, Lines("old", 0, 50));
        await using var source = new FileTailSource(FastOptions(dir, "*.log"));
        await using var reader = source.ReadAsync(cts.Token).GetAsyncEnumerator(cts.Token);
        var first = await reader.TakeAsync(10);

        // logrotate with 'create': the writer keeps writing to the renamed file until it reopens.
        Append(log, Lines("old", 50, 50));
        File.Move(log, dir.File("app.log.1"));
        Append(dir.File("app.log.1"), Lines("old", 100, 20));
        Append(log, Lines("new", 0, 100));
        var rest = await reader.TakeAsync(210);
        Append(log, "END\n");
        var end = await reader.TakeAsync(1);

        var expected = Texts("old", 0, 120).Concat(Texts("new", 0, 100)).Append("END");
        Assert.Equal(expected, first.Concat(rest).Concat(end).Select(l => l.Text));
        Assert.Equal(1, source.Stats.Rotations);
        Assert.Equal(2, first.Concat(rest).Select(l => l.SourceKey).Distinct().Count());
    }

    [Fact]
    public async Task Copytruncate_restarts_at_zero_and_counts_a_truncation()
    {
        using var dir = new TempDir();
        using var cts = Timeout();
        var log = dir.File("app.log");
        Append(log, Lines("before", 0, 20));
        await using var source = new FileTailSource(FastOptions(dir, "*.log"));
        await using var reader = source.ReadAsync(cts.Token).GetAsyncEnumerator(cts.Token);
        var before = await reader.TakeAsync(20);

        File.Copy(log, dir.File("app.log.1"));
        using (var stream = new FileStream(log, FileMode.Open, FileAccess.Write, FileShare.ReadWrite))
        {
            stream.SetLength(0);
        }

        Append(log, "after 0\nafter 1\n");
        var after = await reader.TakeAsync(2);

        Assert.Equal(Texts("before", 0, 20), before.Select(l => l.Text));
        Assert.Equal(["after 0", "after 1"], after.Select(l => l.Text));
        Assert.Equal(0, after[0].Offset);
        Assert.Equal(before[0].SourceKey, after[0].SourceKey);
        Assert.Equal(1, source.Stats.Truncations);
        Assert.Equal(0, source.Stats.Rotations);
    }

    [Fact]
    public async Task A_file_created_later_in_a_nested_directory_is_found_by_a_double_star_glob()
    {
        using var dir = new TempDir();
        using var cts = Timeout();
        await using var source = new FileTailSource(FastOptions(dir, "**/*.log"));
        await using var reader = source.ReadAsync(cts.Token).GetAsyncEnumerator(cts.Token);
        var pending = reader.TakeAsync(2);

        Directory.CreateDirectory(dir.File("a/b"));
        Append(dir.File("a/b/late.log"), "hello\n");
        Append(dir.File("a/b/ignored.txt"), "not matched\n");
        Append(dir.File("a/b/late.log"), "world\n");
        var lines = await pending;

        Assert.Equal(["hello", "world"], lines.Select(l => l.Text));
        Assert.Equal(dir.File("a/b/late.log"), lines[0].Path);
    }

    [Fact]
    public async Task Restart_resumes_after_the_last_committed_line_and_rereads_uncommitted_lines()
    {
        using var dir = new TempDir();
        using var cts = Timeout();
        var options = FastOptions(dir, "*.log");
        Append(dir.File("a.log"), Lines("a", 0, 10));
        await using (var source = new FileTailSource(options))
        {
            await using var reader = source.ReadAsync(cts.Token).GetAsyncEnumerator(cts.Token);
            var lines = await reader.TakeAsync(8);
            await source.CommitAsync(lines[4], cts.Token);
        }

        Append(dir.File("a.log"), Lines("a", 10, 2));
        await using var restarted = new FileTailSource(options);
        await using var again = restarted.ReadAsync(cts.Token).GetAsyncEnumerator(cts.Token);
        var resumed = await again.TakeAsync(7);

        Assert.Equal(Texts("a", 5, 7), resumed.Select(l => l.Text));
    }

    [Fact]
    public async Task Committing_a_line_commits_earlier_lines_of_other_files_too()
    {
        using var dir = new TempDir();
        using var cts = Timeout();
        var options = FastOptions(dir, "*.log");
        Append(dir.File("a.log"), Lines("a", 0, 3));
        Append(dir.File("b.log"), Lines("b", 0, 3));
        await using (var source = new FileTailSource(options))
        {
            await using var reader = source.ReadAsync(cts.Token).GetAsyncEnumerator(cts.Token);
            var lines = await reader.TakeAsync(6);
            Assert.Equal(Texts("a", 0, 3).Concat(Texts("b", 0, 3)), lines.Select(l => l.Text));
            await source.CommitAsync(lines[4], cts.Token);
        }

        Append(dir.File("a.log"), "a 3\n");
        await using var restarted = new FileTailSource(options);
        await using var again = restarted.ReadAsync(cts.Token).GetAsyncEnumerator(cts.Token);
        var resumed = await again.TakeAsync(2);

        Assert.Equal(["a 3", "b 2"], resumed.Select(l => l.Text));
    }

    [Fact]
    public async Task A_file_rotated_while_the_agent_was_down_is_finished_first_by_its_identity()
    {
        using var dir = new TempDir();
        using var cts = Timeout();
        var options = FastOptions(dir, "app.log");
        var log = dir.File("app.log");
        Append(log, Lines("old", 0, 10));
        await using (var source = new FileTailSource(options))
        {
            await using var reader = source.ReadAsync(cts.Token).GetAsyncEnumerator(cts.Token);
            var lines = await reader.TakeAsync(10);
            await source.CommitAsync(lines[5], cts.Token);
        }

        File.Move(log, dir.File("app.log.1"));
        Append(dir.File("app.log.1"), "old 10\n");
        Append(log, Lines("new", 0, 3));
        await using var restarted = new FileTailSource(options);
        await using var again = restarted.ReadAsync(cts.Token).GetAsyncEnumerator(cts.Token);
        var resumed = await again.TakeAsync(8);

        Assert.Equal(Texts("old", 6, 5).Concat(Texts("new", 0, 3)), resumed.Select(l => l.Text));
        Assert.Equal(dir.File("app.log.1"), resumed[0].Path);
        Assert.Equal(1, restarted.Stats.Rotations);
    }

    [Fact]
    public async Task A_file_truncated_while_the_agent_was_down_is_read_from_the_start()
    {
        using var dir = new TempDir();
        using var cts = Timeout();
        var options = FastOptions(dir, "*.log");
        var log = dir.File("app.log");
        Append(log, Lines("long line number", 0, 10));
        await using (var source = new FileTailSource(options))
        {
            await using var reader = source.ReadAsync(cts.Token).GetAsyncEnumerator(cts.Token);
            var lines = await reader.TakeAsync(10);
            await source.CommitAsync(lines[9], cts.Token);
        }

        File.WriteAllText(log, "short\n");
        await using var restarted = new FileTailSource(options);
        await using var again = restarted.ReadAsync(cts.Token).GetAsyncEnumerator(cts.Token);

        Assert.Equal("short", (await again.TakeAsync(1))[0].Text);
        Assert.Equal(1, restarted.Stats.Truncations);
    }

    [Fact]
    public async Task A_partial_last_line_is_held_until_its_newline_arrives()
    {
        using var dir = new TempDir();
        using var cts = Timeout();
        var log = dir.File("app.log");
        Append(log, "complete\nhalf of ");
        await using var source = new FileTailSource(FastOptions(dir, "*.log"));
        await using var reader = source.ReadAsync(cts.Token).GetAsyncEnumerator(cts.Token);
        var first = await reader.TakeAsync(1);
        var pending = reader.TakeAsync(2);
        await Task.Delay(200, cts.Token); // several polls see the unfinished line
        Append(log, "a line\nnext\n");
        var rest = await pending;

        Assert.Equal(["complete", "half of a line", "next"], first.Concat(rest).Select(l => l.Text));
        Assert.Equal(9, rest[0].Offset);
    }

    [Fact]
    public async Task A_partial_last_line_is_shipped_after_the_idle_timeout()
    {
        using var dir = new TempDir();
        using var cts = Timeout();
        Append(dir.File("app.log"), "no newline at the end");
        var options = FastOptions(dir, "*.log") with { PartialLineTimeout = TimeSpan.FromMilliseconds(100) };
        await using var source = new FileTailSource(options);
        await using var reader = source.ReadAsync(cts.Token).GetAsyncEnumerator(cts.Token);

        var line = (await reader.TakeAsync(1))[0];
        Append(dir.File("app.log"), " and more\n");
        var more = (await reader.TakeAsync(1))[0];

        Assert.Equal("no newline at the end", line.Text);
        Assert.Equal(21, line.NextOffset);
        Assert.Equal(" and more", more.Text);
    }

    [Fact]
    public async Task A_deleted_file_is_read_to_its_end_then_closed_and_disposing_ends_a_waiting_reader()
    {
        using var dir = new TempDir();
        using var cts = Timeout();
        var log = dir.File("gone.log");
        Append(log, "one\n");
        var source = new FileTailSource(FastOptions(dir, "*.log"));
        await using var reader = source.ReadAsync(cts.Token).GetAsyncEnumerator(cts.Token);
        await reader.TakeAsync(1);
        var next = reader.MoveNextAsync();
        using (var writer = new FileStream(log, FileMode.Append, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete))
        {
            File.Delete(log);
            await writer.WriteAsync("written after the unlink\n"u8.ToArray(), cts.Token);
        }

        Assert.True(await next);
        Assert.Equal("written after the unlink", reader.Current.Text);
        var waiting = reader.MoveNextAsync();
        while (source.OpenFiles.Count > 0)
        {
            await Task.Delay(20, cts.Token);
        }

        await source.DisposeAsync();
        Assert.False(await waiting);
    }
}
