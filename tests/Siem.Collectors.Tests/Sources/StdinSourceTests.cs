using System.Text;
using Siem.Collectors.Sources;
using static Siem.Collectors.Tests.Sources.SourceTestKit;

namespace Siem.Collectors.Tests.Sources;

public sealed class StdinSourceTests
{
    [Fact]
    public async Task Lines_are_split_like_files_and_an_unterminated_last_line_is_shipped_at_the_end()
    {
        using var cts = Timeout();
        await using var source = new StdinSource(new MemoryStream(Encoding.UTF8.GetBytes("one\r\ntwo\n\nthree")), maxLineBytes: 4);
        var lines = new List<RawLine>();

        await foreach (var line in source.ReadAsync(cts.Token))
        {
            lines.Add(line);
        }

        Assert.Equal(["one", "two", string.Empty, "thre"], lines.Select(l => l.Text));
        Assert.Equal([false, false, false, true], lines.Select(l => l.Truncated));
        Assert.All(lines, l => Assert.Equal("stdin", l.SourceKey));
        Assert.Equal([1L, 1L, 1L], lines.Zip(lines.Skip(1)).Select(p => p.Second.Offset - p.First.Offset));
        Assert.Equal(15, source.Stats.Bytes);
    }
}
