using Siem.Collectors.Parsing;

namespace Siem.Collectors.Tests.Parsing;

public class RecordIdsTests
{
    [Fact]
    public void Same_inputs_give_the_same_26_char_lowercase_base32_id()
    {
        string a = RecordIds.For("agent-1", "file:8:1", 1234);
        string b = RecordIds.For("agent-1", "file:8:1", 1234, 0);

        Assert.Equal(a, b);
        Assert.Equal(26, a.Length);
        Assert.Matches("^[a-z2-7]{26}$", a);
    }

    [Fact]
    public void Any_differing_input_gives_a_different_id()
    {
        var ids = new[]
        {
            RecordIds.For("agent-1", "file:8:1", 1234),
            RecordIds.For("agent-2", "file:8:1", 1234),
            RecordIds.For("agent-1", "file:8:2", 1234),
            RecordIds.For("agent-1", "file:8:1", 1235),
            RecordIds.For("agent-1", "file:8:1", 1234, 1),
            // Field boundaries are length-prefixed: moving a character between agent and source must not collide.
            RecordIds.For("agent-1f", "ile:8:1", 1234),
        };

        Assert.Equal(ids.Length, ids.Distinct().Count());
    }

    [Fact]
    public void Long_source_keys_work()
    {
        string key = "syslog:tcp:" + new string('x', 5000);

        Assert.Equal(RecordIds.For("a", key, 1), RecordIds.For("a", key, 1));
    }

    [Fact]
    public void Ids_of_one_stream_are_distinct_across_offsets_and_sub_indexes_also_beyond_the_compact_range()
    {
        var random = new Random(20261122);
        var offsets = new HashSet<long> { 0, 1, 255, 256, (1L << 40) - 1, 1L << 40, (1L << 40) + 1, long.MaxValue, -1 };
        while (offsets.Count < 400) offsets.Add(random.NextInt64(0, 1L << 42));
        var ids = new HashSet<string>(StringComparer.Ordinal);
        int made = 0;
        foreach (long offset in offsets)
        {
            foreach (int sub in new[] { 0, 1, 255, 256, 70_000, -1 })
            {
                string id = RecordIds.For("agent-1", "file:2049:77", offset, sub);
                Assert.Matches("^[a-z2-7]{26}$", id);
                ids.Add(id);
                made++;
            }
        }

        Assert.Equal(made, ids.Count);
    }

    [Fact]
    public void Interleaved_streams_keep_their_own_ids()
    {
        // The per-thread stream cache must never hand one stream's prefix to another.
        string a1 = RecordIds.For("agent-1", "file:8:1", 10);
        string b1 = RecordIds.For("agent-1", "file:8:2", 10);
        string a2 = RecordIds.For("agent-1", "file:8:1", 10);
        string c1 = RecordIds.For("agent-2", "file:8:1", 10);

        Assert.Equal(a1, a2);
        Assert.NotEqual(a1, b1);
        Assert.NotEqual(a1, c1);
        Assert.Equal(a1[..16], RecordIds.For("agent-1", "file:8:1", 99_999, 3)[..16]);
    }
}
