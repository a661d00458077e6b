using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using Siem.Host.Bench.Soak;

namespace Siem.Resilience.Tests.Soak;

public sealed class PlotPngTests
{
    [Fact]
    public void The_encoder_writes_a_png_whose_chunks_have_valid_crcs_and_whose_pixels_inflate_back()
    {
        const int width = 3, height = 2;
        byte[] rgb = [255, 0, 0, 0, 255, 0, 0, 0, 255, 10, 20, 30, 40, 50, 60, 70, 80, 90];
        var png = PlotPng.Encode(width, height, rgb);

        Assert.Equal(new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A }, png[..8]);
        var chunks = new List<(string Type, byte[] Data)>();
        for (int at = 8; at < png.Length;)
        {
            int length = BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(at));
            string type = Encoding.ASCII.GetString(png, at + 4, 4);
            var data = png.AsSpan(at + 8, length).ToArray();
            uint crc = BinaryPrimitives.ReadUInt32BigEndian(png.AsSpan(at + 8 + length));
            Assert.Equal(PlotPng.Crc32(0xFFFFFFFFu, png.AsSpan(at + 4, 4 + length)) ^ 0xFFFFFFFFu, crc);
            chunks.Add((type, data));
            at += 12 + length;
        }
        Assert.Equal(["IHDR", "IDAT", "IEND"], chunks.Select(c => c.Type));
        // The IEND chunk's CRC is the same in every PNG file.
        Assert.Equal(new byte[] { 0xAE, 0x42, 0x60, 0x82 }, png[^4..]);
        Assert.Equal(width, BinaryPrimitives.ReadInt32BigEndian(chunks[0].Data));
        Assert.Equal(height, BinaryPrimitives.ReadInt32BigEndian(chunks[0].Data.AsSpan(4)));
        Assert.Equal(new byte[] { 8, 2, 0, 0, 0 }, chunks[0].Data[8..]);

        using var inflated = new MemoryStream();
        using (var z = new ZLibStream(new MemoryStream(chunks[1].Data), CompressionMode.Decompress)) z.CopyTo(inflated);
        byte[] expected = [0, .. rgb[..9], 0, .. rgb[9..]];
        Assert.Equal(expected, inflated.ToArray());
    }

    [Fact]
    public void The_chart_of_a_run_is_a_png_of_the_expected_size()
    {
        var samples = Enumerable.Range(1, 12).Select(i => new SoakSample(i * 5, 5000, 4900 + i, 10 * i, 40, 90 + i,
            new Dictionary<string, long> { ["engine"] = (100 + i) * 1048576L, ["soak-01"] = 60 * 1048576L })).ToList();
        var png = PlotChart.Render(samples);
        Assert.Equal(960, BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(16)));
        Assert.Equal(10 + 3 * 220 + 30, BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(20)));
    }
}
