using System.Text;
using Siem.Lineage.Purge;

namespace Siem.Lineage.Tests;

/// <summary>The byte scan cuts files into segments searched in parallel: every match counts once, wherever it falls.</summary>
public sealed class DataDirByteScanTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("siem-bytescan-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Theory]
    [InlineData("10.0.0.1")]
    [InlineData("Alice")]
    public async Task Segmented_parallel_scan_counts_exactly_what_a_whole_file_search_counts(string value)
    {
        const string subjectId = "5f1d2c3b4a596877";
        var matcher = new SubjectValueMatcher(value);
        var random = new Random(20261122);
        // Seeded: files of many sizes, the value (in varied case) and its near misses at random places, so matches
        // fall on, across and next to segment edges of 64 bytes.
        var expectedRaw = 0L;
        var expectedIds = 0L;
        for (int f = 0; f < 40; f++)
        {
            var sb = new StringBuilder();
            int pieces = random.Next(0, 30);
            for (int p = 0; p < pieces; p++)
            {
                sb.Append(random.Next(4) switch
                {
                    0 => value,
                    1 => value.ToUpperInvariant(),
                    2 => value + "5",
                    _ => subjectId,
                });
                sb.Append(new string(" .x=\n"[random.Next(5)], random.Next(0, 70)));
            }
            var bytes = Encoding.UTF8.GetBytes(sb.ToString());
            string rel = f % 3 == 0 ? $"purge/f{f}.bin" : $"store/f{f}.bin";
            Directory.CreateDirectory(Path.GetDirectoryName(Path.Combine(_dir, rel))!);
            await File.WriteAllBytesAsync(Path.Combine(_dir, rel), bytes);
            expectedRaw += matcher.Count(bytes);
            if (!DataDirByteScan.SubjectIdAllowed(rel)) expectedIds += Count(bytes, Encoding.ASCII.GetBytes(subjectId));
        }

        var segmented = await DataDirByteScan.ScanAsync(_dir, matcher, subjectId, 64, CancellationToken.None);
        var whole = await DataDirByteScan.ScanAsync(_dir, matcher, subjectId, CancellationToken.None);

        Assert.True(expectedRaw > 20, "the seeded data should hold the value");
        Assert.Equal(expectedRaw, segmented.RawValueHits);
        Assert.Equal(expectedIds, segmented.SubjectIdHits);
        Assert.Equal(expectedRaw, whole.RawValueHits);
        Assert.Equal(expectedIds, whole.SubjectIdHits);
        Assert.Equal(whole.Where, segmented.Where);
    }

    private static long Count(ReadOnlySpan<byte> data, ReadOnlySpan<byte> needle)
    {
        long n = 0;
        int at;
        while ((at = data.IndexOf(needle)) >= 0)
        {
            n++;
            data = data[(at + needle.Length)..];
        }
        return n;
    }
}
