using System.Text;
using NodaTime;
using NodaTime.Text;
using Siem.Core.Events;

namespace Siem.Core.Tests.Events;

/// <summary>The decoder's fast paths (timestamps read from bytes, shared field-name strings) decode exactly what the general path did.</summary>
public sealed class LogEventJsonDecodeTests
{
    private static LogEvent DecodeOne(string json) => Assert.Single(LogEventJson.DecodeBatch(Encoding.UTF8.GetBytes(json)));

    private static string Event(string timestamp, string fields = "{}") =>
        $"{{\"record_id\":\"r1\",\"agent_id\":\"a1\",\"@timestamp\":\"{timestamp}\",\"original\":\"line\",\"fields\":{fields}}}";

    [Fact]
    public void Timestamps_of_every_year_and_fraction_length_decode_to_the_instant_the_iso_pattern_reads()
    {
        var random = new Random(5);
        for (var i = 0; i < 2000; i++)
        {
            var instant = Instant.FromUtc(random.Next(1, 10000), random.Next(1, 13), random.Next(1, 29), random.Next(0, 24), random.Next(0, 60), random.Next(0, 60));
            int digits = random.Next(0, 10);
            long nanos = digits == 0 ? 0 : random.NextInt64(1, 1_000_000_000) / (long)Math.Pow(10, 9 - digits) * (long)Math.Pow(10, 9 - digits);
            instant = instant.PlusNanoseconds(nanos);
            string text = InstantPattern.ExtendedIso.Format(instant);

            Assert.Equal(instant, DecodeOne(Event(text)).Timestamp);
            // The agent's writer and the decoder agree too.
            var e = new LogEvent { RecordId = "r", Timestamp = instant };
            Assert.Equal(instant, Assert.Single(LogEventJson.DecodeBatch(LogEventJson.EncodeBatch([e]))).Timestamp);
        }
    }

    [Theory]
    [InlineData("2026-11-22T04:00:01Z", 2026, 11, 22, 4, 0, 1, 0)]
    [InlineData("2026-11-22T04:00:01.5Z", 2026, 11, 22, 4, 0, 1, 500_000_000)]
    [InlineData("2026-11-22T04:00:01.000000001Z", 2026, 11, 22, 4, 0, 1, 1)]
    [InlineData("2024-02-29T23:59:59.999999999Z", 2024, 2, 29, 23, 59, 59, 999_999_999)]
    [InlineData("2026-11-22T04:00:01.50Z", 2026, 11, 22, 4, 0, 1, 500_000_000)]
    public void Iso_utc_timestamps_decode_exactly(string text, int year, int month, int day, int hour, int minute, int second, long nanos)
    {
        Assert.Equal(Instant.FromUtc(year, month, day, hour, minute, second).PlusNanoseconds(nanos), DecodeOne(Event(text)).Timestamp);
    }

    [Theory]
    [InlineData("2026-02-30T00:00:00Z")]
    [InlineData("2025-02-29T00:00:00Z")]
    [InlineData("2026-11-22T04:60:00Z")]
    [InlineData("2026-11-22T04:00:60Z")]
    [InlineData("2026-13-01T00:00:00Z")]
    [InlineData("2026-11-22T04:00:01.Z")]
    [InlineData("2026-11-22T04:00:01.1234567890Z")]
    [InlineData("2026-11-22T04:00:01+01:00")]
    [InlineData("2026-11-22 04:00:01Z")]
    [InlineData("2026-11-22T04:00:0xZ")]
    public void Timestamps_that_are_not_iso_utc_are_refused_naming_the_field(string text)
    {
        var ex = Assert.Throws<InvalidDataException>(() => DecodeOne(Event(text)));
        Assert.Contains("@timestamp", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("0000-01-01T00:00:00Z")]
    [InlineData("2026-11-22T24:00:00Z")]
    [InlineData("2026-11-22T04:00:01\\u005A")]
    public void Forms_outside_the_fast_path_decode_as_the_iso_pattern_reads_them(string text)
    {
        Assert.Equal(InstantPattern.ExtendedIso.Parse(text.Replace("\\u005A", "Z", StringComparison.Ordinal)).Value, DecodeOne(Event(text)).Timestamp);
    }

    [Fact]
    public void Fields_keep_their_order_a_repeated_name_keeps_its_first_place_and_the_last_value_and_escaped_names_decode()
    {
        var e = DecodeOne(Event("2026-11-22T04:00:01Z", "{\"b\":\"1\",\"us\\u0065r.name\":\"alice\",\"a\":[\"x\",\"y\"],\"b\":\"2\",\"message\":2}"));

        Assert.Equal(new[] { "b", "user.name", "a", "message" }, e.Fields.Keys.ToArray());
        Assert.Equal("2", e.Fields["b"]);
        Assert.Equal("alice", e.Fields["user.name"]);
        Assert.Equal(new[] { "x", "y" }, (string[])e.Fields["a"]);
        Assert.Equal("ne", e.Fields["message"]);
    }

    [Fact]
    public void A_repeated_fields_member_replaces_the_earlier_one()
    {
        var e = DecodeOne("{\"record_id\":\"r1\",\"@timestamp\":\"2026-11-22T04:00:01Z\",\"fields\":{\"a\":\"1\"},\"fields\":{\"b\":\"2\"}}");

        Assert.Equal(new[] { "b" }, e.Fields.Keys.ToArray());
    }

    [Fact]
    public void Field_names_of_different_events_are_one_string()
    {
        var batch = LogEventJson.DecodeBatch(Encoding.UTF8.GetBytes(Event("2026-11-22T04:00:01Z", "{\"source.ip\":\"10.0.0.1\"}") + "\n" + Event("2026-11-22T04:00:02Z", "{\"source.ip\":\"10.0.0.2\"}")));

        Assert.Same(batch[0].Fields.Keys.Single(), batch[1].Fields.Keys.Single());
    }

    [Fact]
    public void A_field_name_that_is_not_utf8_is_refused_as_before()
    {
        var bytes = Encoding.UTF8.GetBytes(Event("2026-11-22T04:00:01Z", "{\"ab\":\"1\"}"));
        int at = Array.IndexOf(bytes, (byte)'a', Encoding.UTF8.GetByteCount(Event("2026-11-22T04:00:01Z", "{")) - 1);
        bytes[at] = 0xC3; // a lead byte followed by 'b' is not UTF-8

        var ex = Assert.Throws<InvalidDataException>(() => LogEventJson.DecodeBatch(bytes));
        Assert.Contains("record 1", ex.Message, StringComparison.Ordinal);
    }
}
