using Siem.Collectors.Delivery;

namespace Siem.Collectors.Tests.Delivery;

public sealed class BatchSequenceTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("siem-seq-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Numbers_increase_and_a_restart_never_hands_out_a_number_again()
    {
        var path = Path.Combine(_dir, "batch-seq");
        var seen = new HashSet<ulong>();
        ulong last = 0;
        for (var run = 0; run < 5; run++)
        {
            var seq = new BatchSequence(path, block: 8); // a "crash" = dropping the object without any shutdown
            for (var i = 0; i < 5 + run * 7; i++)
            {
                var n = seq.Next();
                Assert.True(n > last, $"{n} after {last}");
                Assert.True(seen.Add(n));
                last = n;
            }
        }
    }

    [Fact]
    public void The_reservation_is_written_before_the_first_number_of_a_block_is_used()
    {
        var path = Path.Combine(_dir, "batch-seq");
        var seq = new BatchSequence(path, block: 100);
        Assert.Equal(1UL, seq.Next());
        Assert.Equal("101", File.ReadAllText(path));
    }

    [Fact]
    public void A_corrupt_reservation_file_refuses_to_start_with_the_file_named()
    {
        var path = Path.Combine(_dir, "batch-seq");
        File.WriteAllText(path, "garbage");
        var e = Assert.Throws<InvalidDataException>(() => new BatchSequence(path));
        Assert.StartsWith($"{path}: batch sequence reservation 'garbage' is not a positive integer", e.Message, StringComparison.Ordinal);
    }
}
