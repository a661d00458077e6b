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
}
