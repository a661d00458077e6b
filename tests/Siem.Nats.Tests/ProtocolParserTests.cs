using System.Buffers;
using System.Net.Sockets;
using System.Text;
using Siem.Nats.Internal;
using Siem.Testing;

namespace Siem.Nats.Tests;

public sealed class ProtocolParserTests(NatsServerFixture fixture) : IClassFixture<NatsServerFixture>
{
    [Fact]
    public async Task Recorded_server_frames_split_at_random_points_parse_to_the_same_operations()
    {
        var recording = await RecordServerFramesAsync();
        var expected = ParseAll([recording]);
        // The recording really contains every kind of operation.
        Assert.StartsWith("INFO {", expected[0], StringComparison.Ordinal);
        Assert.Contains("+OK", expected);
        Assert.Contains("PONG", expected);
        Assert.Contains(expected, o => o.StartsWith("MSG fz.plain 1 - - 68656c6c6f", StringComparison.Ordinal));
        Assert.Contains(expected, o => o.StartsWith("MSG fz.hdr 1 reply.to 4e4154532f", StringComparison.Ordinal));
        Assert.Contains(expected, o => o.StartsWith("MSG fz.big 1 - - ", StringComparison.Ordinal) && o.Length > 2 * 100_000);
        Assert.Contains(expected, o => o.StartsWith("MSG fz.empty 1 - - -", StringComparison.Ordinal));
        Assert.Contains("-ERR Unknown Protocol Operation", expected);

        var random = new Random(20261122);
        for (int round = 0; round < 300; round++)
        {
            var chunks = SplitRandomly(recording, random, maxPieces: 1 + random.Next(200));
            Assert.Equal(expected, ParseAll(chunks));
        }
        // Worst case: one byte at a time.
        Assert.Equal(expected, ParseAll(recording.Select(b => new[] { b }).ToList()));
    }

    [Theory]
    [InlineData("MSG a 1 5\r\nhelloX\n", "not followed by CRLF")]
    [InlineData("MSG a x 5\r\nhello\r\n", "malformed MSG")]
    [InlineData("MSG a 1 -5\r\nhello\r\n", "malformed MSG")]
    [InlineData("HMSG a 1 20 10\r\n0123456789\r\n", "malformed HMSG")]
    [InlineData("BOGUS stuff\r\n", "unknown protocol operation")]
    public void Corrupt_frames_are_protocol_errors_naming_the_problem(string frame, string expectedMessage)
    {
        var e = Assert.Throws<NatsProtocolException>(() => ParseAll([Encoding.ASCII.GetBytes(frame)]));
        Assert.Contains(expectedMessage, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_control_line_without_end_beyond_the_limit_is_a_protocol_error()
    {
        var junk = Encoding.ASCII.GetBytes("INFO " + new string('x', ProtocolParser.MaxControlLine + 10));
        Assert.Throws<NatsProtocolException>(() => ParseAll([junk]));
    }

    [Fact]
    public void Status_headers_expose_code_and_description()
    {
        var h = NatsHeaders.Parse("NATS/1.0 503 No Responders\r\n\r\n"u8);
        Assert.Equal(503, h.Code);
        Assert.Equal("No Responders", h.Description);
        Assert.Equal(0, h.Count);
        var full = NatsHeaders.Parse("NATS/1.0 100 Idle Heartbeat\r\nNats-Last-Consumer: 7\r\n\r\n"u8);
        Assert.Equal(100, full.Code);
        Assert.Equal("7", full["nats-last-consumer"]);
    }

    /// <summary>Talks to a real nats-server over a raw socket and records every byte it sends back.</summary>
    private async Task<byte[]> RecordServerFramesAsync()
    {
        var ct = new CancellationTokenSource(TimeSpan.FromSeconds(10)).Token;
        using var tcp = new TcpClient();
        await tcp.ConnectAsync("127.0.0.1", fixture.Server.Port, ct);
        var stream = tcp.GetStream();
        var big = new string('B', 100_000);
        const string hdr = "NATS/1.0\r\nKey: value\r\nOther: a b c\r\n\r\n";
        var script = new StringBuilder()
            .Append("CONNECT {\"verbose\":true,\"pedantic\":false,\"headers\":true,\"no_responders\":true,\"protocol\":1}\r\n")
            .Append("SUB fz.> 1\r\nPING\r\n")
            .Append("PUB fz.plain 5\r\nhello\r\n")
            .Append(System.Globalization.CultureInfo.InvariantCulture, $"HPUB fz.hdr reply.to {hdr.Length} {hdr.Length + 4}\r\n{hdr}body\r\n")
            .Append("PUB fz.empty 0\r\n\r\n")
            .Append(System.Globalization.CultureInfo.InvariantCulture, $"PUB fz.big {big.Length}\r\n{big}\r\n")
            .Append("HPUB fz.hdronly 12 12\r\nNATS/1.0\r\n\r\n\r\n")
            .Append("PING\r\n")
            .ToString();
        var recorded = new MemoryStream();
        var buf = new byte[8192];
        int n = await stream.ReadAsync(buf, ct); // INFO
        recorded.Write(buf, 0, n);
        await stream.WriteAsync(Encoding.ASCII.GetBytes(script), ct);
        int pongs = 0;
        while (pongs < 2 && (n = await stream.ReadAsync(buf, ct)) > 0)
        {
            recorded.Write(buf, 0, n);
            pongs = CountOf(recorded.ToArray(), "PONG\r\n"u8);
        }
        // An unknown operation makes the server answer -ERR and close the connection.
        await stream.WriteAsync("FOO\r\n"u8.ToArray(), ct);
        try
        {
            while ((n = await stream.ReadAsync(buf, ct)) > 0) recorded.Write(buf, 0, n);
        }
        catch (IOException)
        {
            // The close may arrive as a reset once -ERR has been read.
        }
        return recorded.ToArray();
    }

    private static int CountOf(ReadOnlySpan<byte> data, ReadOnlySpan<byte> what)
    {
        int count = 0;
        for (int i = data.IndexOf(what); i >= 0; i = data.IndexOf(what) is var j && j >= 0 ? j : -1)
        {
            count++;
            data = data[(i + what.Length)..];
        }
        return count;
    }

    private static List<byte[]> SplitRandomly(byte[] data, Random random, int maxPieces)
    {
        var cuts = Enumerable.Range(0, maxPieces - 1).Select(_ => random.Next(1, data.Length)).Distinct().Order().ToList();
        var chunks = new List<byte[]>();
        int start = 0;
        foreach (var cut in cuts.Append(data.Length))
        {
            chunks.Add(data[start..cut]);
            start = cut;
        }
        return chunks;
    }

    /// <summary>Feeds chunks one by one like a socket would, keeping unconsumed bytes as a multi-segment sequence.</summary>
    private static List<string> ParseAll(List<byte[]> chunks)
    {
        var ops = new List<string>();
        var handler = new RecordingHandler(ops);
        Segment? first = null, last = null;
        int firstIndex = 0;
        foreach (var chunk in chunks)
        {
            if (chunk.Length == 0) continue;
            last = last is null ? first = new Segment(chunk, 0) : last.Append(chunk);
            var buffer = new ReadOnlySequence<byte>(first!, firstIndex, last, last.Memory.Length);
            while (ProtocolParser.TryParse(ref buffer, ref handler))
            {
            }
            // Drop fully consumed segments, remember the offset into the first remaining one.
            var start = buffer.Start;
            first = (Segment?)start.GetObject() ?? last;
            firstIndex = start.GetInteger();
            if (buffer.IsEmpty)
            {
                first = last = null;
                firstIndex = 0;
            }
        }
        return ops;
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(byte[] data, long runningIndex)
        {
            Memory = data;
            RunningIndex = runningIndex;
        }

        public Segment Append(byte[] data)
        {
            var next = new Segment(data, RunningIndex + Memory.Length);
            Next = next;
            return next;
        }
    }

    private readonly struct RecordingHandler(List<string> ops) : IServerOpHandler
    {
        public void OnMsg(ReadOnlySpan<byte> subject, long sid, ReadOnlySpan<byte> replyTo, in ReadOnlySequence<byte> headers, in ReadOnlySequence<byte> payload) =>
            ops.Add($"MSG {Encoding.UTF8.GetString(subject)} {sid} {(replyTo.IsEmpty ? "-" : Encoding.UTF8.GetString(replyTo))} {Hex(headers)} {Hex(payload)}");

        public void OnInfo(ReadOnlySpan<byte> json) => ops.Add("INFO " + Encoding.UTF8.GetString(json));

        public void OnPing() => ops.Add("PING");

        public void OnPong() => ops.Add("PONG");

        public void OnOk() => ops.Add("+OK");

        public void OnErr(ReadOnlySpan<byte> text) => ops.Add("-ERR " + Encoding.UTF8.GetString(text));

        private static string Hex(in ReadOnlySequence<byte> s) => s.IsEmpty ? "-" : Convert.ToHexStringLower(s.ToArray());
    }
}
