using System.Text;
using Siem.Collectors.Sources;
using Siem.Collectors.Sources.Internal;
using static Siem.Collectors.Tests.Sources.SourceTestKit;

namespace Siem.Collectors.Tests.Sources;

public sealed class HostileInputTests
{
    [Fact]
    public async Task A_10_MB_line_is_truncated_to_the_maximum_flagged_and_counted_and_the_next_line_is_intact()
    {
        using var dir = new TempDir();
        using var cts = Timeout();
        var log = dir.File("big.log");
        await using (var stream = File.Create(log))
        {
            var chunk = Encoding.ASCII.GetBytes(new string('x', 1024 * 1024));
            for (var i = 0; i < 10; i++)
            {
                await stream.WriteAsync(chunk, cts.Token);
            }

            await stream.WriteAsync("\nafter\n"u8.ToArray(), cts.Token);
        }

        await using var source = new FileTailSource(FastOptions(dir, "*.log"));
        await using var reader = source.ReadAsync(cts.Token).GetAsyncEnumerator(cts.Token);
        var lines = await reader.TakeAsync(2);

        Assert.True(lines[0].Truncated);
        Assert.Equal(1024 * 1024, lines[0].Text.Length);
        Assert.Equal(10L * 1024 * 1024 + 1, lines[0].NextOffset);
        Assert.Equal("after", lines[1].Text);
        Assert.False(lines[1].Truncated);
        Assert.Equal(1, source.Stats.TruncatedLines);
        Assert.Equal(10L * 1024 * 1024 + 7, source.Stats.Bytes);
    }

    [Fact]
    public async Task Invalid_utf8_binary_bytes_and_nuls_are_decoded_with_replacement_and_counted()
    {
        using var dir = new TempDir();
        using var cts = Timeout();
        byte[] content = [.. "ok "u8, 0xFF, 0xFE, .. " end\n"u8, .. "nul\0inside\n"u8, 0x80, 0xC3, (byte)'\n', .. "valid \u00e9\r\n"u8];
        await File.WriteAllBytesAsync(dir.File("bin.log"), content, cts.Token);

        await using var source = new FileTailSource(FastOptions(dir, "*.log"));
        await using var reader = source.ReadAsync(cts.Token).GetAsyncEnumerator(cts.Token);
        var lines = await reader.TakeAsync(4);

        Assert.Equal(["ok \uFFFD\uFFFD end", "nul\0inside", "\uFFFD\uFFFD", "valid \u00e9"], lines.Select(l => l.Text));
        Assert.Equal([true, false, true, false], lines.Select(l => l.InvalidUtf8));
        Assert.Equal(2, source.Stats.InvalidUtf8Lines);
        Assert.Equal(content.Length, source.Stats.Bytes);
    }

    [Fact]
    public void Splitting_a_10_MB_line_allocates_about_the_kept_part_not_the_whole_line()
    {
        using var splitter = new LineSplitter(maxLineBytes: 1024 * 1024);
        var chunk = new byte[64 * 1024];
        chunk.AsSpan().Fill((byte)'y');
        var lines = new List<SplitLine>();
        splitter.Push(chunk, lines); // warm up the pool and the code paths
        var before = GC.GetAllocatedBytesForCurrentThread();

        for (var i = 1; i < 160; i++)
        {
            splitter.Push(chunk, lines);
        }

        splitter.Push("\n"u8, lines);
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        var line = Assert.Single(lines);
        Assert.True(line.Truncated);
        Assert.Equal(1024 * 1024, line.Text.Length);
        Assert.InRange(allocated, 0, 4 * 1024 * 1024); // the 2 MB string plus at most one 1 MiB buffer; the line is 10 MB
    }

    [Fact]
    public void A_cut_inside_a_multibyte_character_drops_the_partial_character_instead_of_reporting_invalid_utf8()
    {
        using var splitter = new LineSplitter(maxLineBytes: 5);
        var lines = new List<SplitLine>();

        splitter.Push("abcd\u00e9fgh\n"u8, lines);

        var line = Assert.Single(lines);
        Assert.Equal("abcd", line.Text);
        Assert.True(line.Truncated);
        Assert.False(line.InvalidUtf8);
    }

    [Fact]
    public void Seeded_random_chunking_gives_the_same_lines_as_splitting_all_at_once()
    {
        var random = new Random(20261122);
        for (var round = 0; round < 200; round++)
        {
            var text = string.Concat(Enumerable.Range(0, random.Next(1, 30)).Select(_ => new string('z', random.Next(0, 40)) + (random.Next(4) == 0 ? "\r\n" : "\n")));
            var bytes = Encoding.UTF8.GetBytes(text);
            var expected = text.Split('\n')[..^1].Select(l => l.TrimEnd('\r')).ToArray();

            using var splitter = new LineSplitter(maxLineBytes: 64);
            var lines = new List<SplitLine>();
            for (var at = 0; at < bytes.Length;)
            {
                var n = Math.Min(bytes.Length - at, random.Next(1, 17));
                splitter.Push(bytes.AsSpan(at, n), lines);
                at += n;
            }

            Assert.Equal(expected, lines.Select(l => l.Text));
            Assert.Equal(bytes.Length, lines[^1].NextOffset);
            Assert.All(lines.Zip(lines.Skip(1)), p => Assert.Equal(p.First.NextOffset, p.Second.Offset));
        }
    }
}
