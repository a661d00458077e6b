using System.Text;
using Siem.Collectors.Spool;

namespace Siem.Collectors.Tests.Spool;

public sealed class Crc32Tests
{
    [Theory]
    [InlineData("", 0x00000000u)]
    [InlineData("a", 0xE8B7BE43u)]
    [InlineData("123456789", 0xCBF43926u)]
    [InlineData("The quick brown fox jumps over the lazy dog", 0x414FA339u)]
    public void Known_ieee_check_values(string text, uint expected) =>
        Assert.Equal(expected, Crc32.Compute(Encoding.ASCII.GetBytes(text)));

    [Fact]
    public void Slicing_matches_the_byte_at_a_time_definition_for_every_length_and_alignment()
    {
        var random = new Random(802_3);
        var data = new byte[4096];
        random.NextBytes(data);
        for (var i = 0; i < 500; i++)
        {
            var start = random.Next(16);
            var length = i < 64 ? i : random.Next(data.Length - start);
            var span = data.AsSpan(start, length);
            Assert.Equal(Reference(span), Crc32.Compute(span));
        }
    }

    [Fact]
    public void Folding_matches_the_definition_for_every_length_up_to_300_and_long_inputs()
    {
        var random = new Random(1_996);
        var data = new byte[(1 << 20) + 77];
        random.NextBytes(data);
        for (var length = 0; length <= 300; length++)
        {
            Assert.Equal(Reference(data.AsSpan(3, length)), Crc32.Compute(data.AsSpan(3, length)));
        }
        Assert.Equal(Reference(data), Crc32.Compute(data));
        Assert.Equal(Reference(data.AsSpan(1)), Crc32.Compute(data.AsSpan(1)));
    }

    [Fact]
    public void Continuing_over_pieces_equals_the_crc_of_the_whole()
    {
        var random = new Random(42);
        var data = new byte[5000];
        random.NextBytes(data);
        for (var i = 0; i < 200; i++)
        {
            var cut = random.Next(data.Length + 1);
            Assert.Equal(Crc32.Compute(data), Crc32.Compute(data.AsSpan(cut), Crc32.Compute(data.AsSpan(0, cut))));
        }
    }

    private static uint Reference(ReadOnlySpan<byte> data)
    {
        var crc = 0xFFFFFFFFu;
        foreach (var b in data)
        {
            crc ^= b;
            for (var k = 0; k < 8; k++) crc = (crc & 1) != 0 ? 0xEDB88320u ^ (crc >> 1) : crc >> 1;
        }
        return ~crc;
    }
}
