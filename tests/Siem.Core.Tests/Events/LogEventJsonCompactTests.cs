using System.Text;
using NodaTime;
using NodaTime.Text;
using Siem.Core.Events;

namespace Siem.Core.Tests.Events;

public sealed class LogEventJsonCompactTests
{
    private static LogEvent Event(string original, string message)
    {
        var e = new LogEvent { RecordId = "r1", AgentId = "web-01", Original = original, Timestamp = Instant.FromUtc(2026, 11, 22, 4, 0, 1) };
        e.Set(EcsFields.EventCategory, "authentication");
        e.Set(EcsFields.Message, message);
        e.Set(EcsFields.UserName, "alice");
        return e;
    }

    [Theory]
    [InlineData("Nov 22 04:00:01 web-01 sshd[77]: Failed password for alice é \"q\"", "Failed password for alice é \"q\"", "\"message\":33")]
    [InlineData("whole line kept", "whole line kept", "\"message\":0")]
    [InlineData("ends with a colon:", "", "\"message\":18")]
    public void Message_that_is_a_tail_of_original_travels_as_an_offset_and_decodes_to_the_same_text_in_the_same_place(string original, string message, string wire)
    {
        var bytes = LogEventJson.EncodeBatch([Event(original, message)]);

        Assert.Contains(wire, Encoding.UTF8.GetString(bytes), StringComparison.Ordinal);
        var decoded = Assert.Single(LogEventJson.DecodeBatch(bytes));
        Assert.Equal(message, decoded.Fields[EcsFields.Message]);
        Assert.Equal(original, decoded.Original);
        Assert.Equal([EcsFields.EventCategory, EcsFields.Message, EcsFields.UserName], decoded.Fields.Keys.ToArray());
    }

    [Fact]
    public void Message_that_is_not_a_tail_of_original_travels_as_text()
    {
        var bytes = LogEventJson.EncodeBatch([Event("Nov 22 sshd: a b", "a b c")]);

        Assert.Contains("\"message\":\"a b c\"", Encoding.UTF8.GetString(bytes), StringComparison.Ordinal);
        Assert.Equal("a b c", Assert.Single(LogEventJson.DecodeBatch(bytes)).Fields[EcsFields.Message]);
    }

    [Theory]
    [InlineData("{\"record_id\":\"r\",\"@timestamp\":\"2026-11-22T04:00:01Z\",\"original\":\"abc\",\"fields\":{\"message\":4}}", "event r: fields.message offset 4 is beyond original (3 chars)")]
    [InlineData("{\"record_id\":\"r\",\"@timestamp\":\"2026-11-22T04:00:01Z\",\"original\":\"abc\",\"fields\":{\"message\":-1}}", "event: fields.message: expected a non-negative offset into original, got Number at byte 90")]
    public void Bad_message_offsets_are_refused_with_what_is_wrong(string json, string expected)
    {
        var e = Assert.Throws<InvalidDataException>(() => LogEventJson.DecodeBatch(Encoding.UTF8.GetBytes(json)));
        Assert.Equal(expected, e.Message);
    }

    [Fact]
    public void Timestamps_are_written_exactly_as_the_extended_iso_pattern_formats_them()
    {
        var random = new Random(20261122);
        for (var i = 0; i < 2000; i++)
        {
            var nanos = (i % 4) switch { 0 => 0, 1 => random.Next(1000) * 1_000_000L, 2 => random.Next(1_000_000) * 1000L, _ => random.Next(1_000_000_000) };
            var t = Instant.FromUtc(1 + random.Next(9999), 1 + random.Next(12), 1 + random.Next(28), random.Next(24), random.Next(60), random.Next(60)) + Duration.FromNanoseconds(nanos);
            var e = new LogEvent { RecordId = "r", Timestamp = t };

            var text = Encoding.UTF8.GetString(LogEventJson.EncodeBatch([e]));

            Assert.Contains($"\"@timestamp\":\"{InstantPattern.ExtendedIso.Format(t)}\"", text, StringComparison.Ordinal);
            Assert.Equal(t, Assert.Single(LogEventJson.DecodeBatch(Encoding.UTF8.GetBytes(text))).Timestamp);
        }
    }
}
