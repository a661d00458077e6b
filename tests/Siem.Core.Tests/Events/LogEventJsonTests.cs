using System.Text;
using NodaTime;
using Siem.Core.Events;

namespace Siem.Core.Tests.Events;

public sealed class LogEventJsonTests
{
    private static LogEvent Sample(string id, string line)
    {
        var e = new LogEvent { RecordId = id, AgentId = "web-01", Original = line, Timestamp = Instant.FromUtc(2026, 11, 22, 4, 0, 1) + Duration.FromNanoseconds(123_456_789) };
        e.Set(EcsFields.Message, line);
        e.Set(EcsFields.UserName, "alice");
        e.Add(EcsFields.Tags, "sshd");
        e.Add(EcsFields.Tags, "auth");
        return e;
    }

    [Fact]
    public void Batch_round_trips_ids_timestamps_original_and_single_and_multi_valued_fields()
    {
        var events = new[] { Sample("r1", "Failed password for alice from 10.0.0.1 \"quoted\" é"), Sample("r2", "second\tline") };

        var decoded = LogEventJson.DecodeBatch(LogEventJson.EncodeBatch(events));

        Assert.Equal(2, decoded.Count);
        for (var i = 0; i < 2; i++)
        {
            Assert.Equal(events[i].RecordId, decoded[i].RecordId);
            Assert.Equal("web-01", decoded[i].AgentId);
            Assert.Equal(events[i].Timestamp, decoded[i].Timestamp);
            Assert.Equal(events[i].Original, decoded[i].Original);
            Assert.Equal("alice", decoded[i].Fields[EcsFields.UserName]);
            Assert.Equal(new[] { "sshd", "auth" }, (string[])decoded[i].Fields[EcsFields.Tags]);
        }
    }

    [Fact]
    public void Encoding_is_json_lines_with_iso_utc_timestamp()
    {
        var text = Encoding.UTF8.GetString(LogEventJson.EncodeBatch([Sample("r1", "x"), Sample("r2", "y")]));
        var lines = text.Split('\n');
        Assert.Equal(3, lines.Length);
        Assert.Equal("", lines[2]);
        Assert.StartsWith("{\"record_id\":\"r1\",\"agent_id\":\"web-01\",\"@timestamp\":\"2026-11-22T04:00:01.123456789Z\",\"original\":\"x\",\"fields\":{", lines[0], StringComparison.Ordinal);
    }

    [Fact]
    public void Empty_batch_encodes_to_nothing_and_decodes_to_no_events()
    {
        Assert.Empty(LogEventJson.EncodeBatch([]));
        Assert.Empty(LogEventJson.DecodeBatch([]));
    }

    [Theory]
    [InlineData("{\"agent_id\":\"a\",\"@timestamp\":\"2026-11-22T04:00:01Z\"}", "event: missing record_id")]
    [InlineData("{\"record_id\":\"r\",\"@timestamp\":\"yesterday\"}", "event: @timestamp 'yesterday' is not ISO-8601 UTC")]
    [InlineData("{\"record_id\":\"r\",\"@timestamp\":\"2026-11-22T04:00:01Z\",\"fields\":{\"n\":1}}", "event: fields.n: expected a string or an array of strings, got Number at byte 67")]
    public void Invalid_records_are_refused_with_what_is_wrong(string json, string expected)
    {
        var e = Assert.Throws<InvalidDataException>(() => LogEventJson.DecodeBatch(Encoding.UTF8.GetBytes(json)));
        Assert.Equal(expected, e.Message);
    }

    [Fact]
    public void Truncated_json_is_refused_naming_the_record()
    {
        var bytes = LogEventJson.EncodeBatch([Sample("r1", "x"), Sample("r2", "y")]);
        var e = Assert.Throws<InvalidDataException>(() => LogEventJson.DecodeBatch(bytes.AsSpan(0, bytes.Length - 10)));
        Assert.StartsWith("event batch: record 2: invalid JSON", e.Message, StringComparison.Ordinal);
    }
    [Theory]
    [InlineData(new byte[] { 0xC3, 0x28 })] // invalid UTF-8 inside a string
    [InlineData(new byte[] { (byte)'\\', (byte)'u', (byte)'d', (byte)'8', (byte)'0', (byte)'0' })] // a lone surrogate escape
    public void A_batch_with_an_undecodable_string_is_invalid_data_not_an_engine_crash(byte[] inside)
    {
        // Found by `siem fuzz envelope`: Utf8JsonReader.GetString throws InvalidOperationException here, which the
        // engine's quarantine path (it catches InvalidDataException, FormatException, JsonException) did not expect.
        var json = Encoding.UTF8.GetBytes("{\"record_id\":\"r1\",\"agent_id\":\"a\",\"@timestamp\":\"2026-11-22T03:00:00Z\",\"original\":\"x");
        byte[] batch = [.. json, .. inside, .. "\"}"u8];
        var e = Assert.Throws<InvalidDataException>(() => LogEventJson.DecodeBatch(batch));
        Assert.Contains("record 1", e.Message, StringComparison.Ordinal);
    }
}
