using System.Buffers;
using System.Text;
using BenchmarkDotNet.Attributes;
using Siem.Nats.Internal;

namespace Siem.Benchmarks;

/// <summary>
/// The NATS protocol parser on 1000 MSG/HMSG frames (256-byte payloads), in one contiguous buffer and split into
/// 4 KiB segments as a socket pipe delivers them. Budget: 0 bytes allocated per parsed message.
/// </summary>
[MemoryDiagnoser]
public class ProtocolParserBenchmarks
{
    private const int Messages = 1000;
    private ReadOnlySequence<byte> _contiguous;
    private ReadOnlySequence<byte> _segmented;
    private ReadOnlySequence<byte> _withHeaders;

    [GlobalSetup]
    public void Setup()
    {
        var payload = new string('x', 256);
        var plain = new StringBuilder();
        var headers = new StringBuilder();
        const string hdr = "NATS/1.0\r\nNats-Msg-Id: agent-1:12345\r\n\r\n";
        for (int i = 0; i < Messages; i++)
        {
            plain.Append(System.Globalization.CultureInfo.InvariantCulture, $"MSG siem.events.acme.agent{i % 16} 1 256\r\n{payload}\r\n");
            headers.Append(System.Globalization.CultureInfo.InvariantCulture, $"HMSG siem.events.acme.agent{i % 16} 1 _INBOX.abc.{i} {hdr.Length} {hdr.Length + 256}\r\n{hdr}{payload}\r\n");
        }
        var bytes = Encoding.ASCII.GetBytes(plain.ToString());
        _contiguous = new ReadOnlySequence<byte>(bytes);
        _segmented = Segments(bytes, 4096);
        _withHeaders = new ReadOnlySequence<byte>(Encoding.ASCII.GetBytes(headers.ToString()));
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Messages)]
    public long Msg_contiguous() => Parse(_contiguous);

    [Benchmark(OperationsPerInvoke = Messages)]
    public long Msg_4KiB_segments() => Parse(_segmented);

    [Benchmark(OperationsPerInvoke = Messages)]
    public long Hmsg_with_reply_and_headers() => Parse(_withHeaders);

    private static long Parse(ReadOnlySequence<byte> buffer)
    {
        var handler = new CountingHandler();
        while (ProtocolParser.TryParse(ref buffer, ref handler))
        {
        }
        return handler.Bytes;
    }

    private static ReadOnlySequence<byte> Segments(byte[] data, int size)
    {
        Segment? first = null, last = null;
        for (int i = 0; i < data.Length; i += size)
        {
            var chunk = data.AsMemory(i, Math.Min(size, data.Length - i));
            last = last is null ? first = new Segment(chunk, 0) : last.Append(chunk);
        }
        return new ReadOnlySequence<byte>(first!, 0, last!, last!.Memory.Length);
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory, long runningIndex)
        {
            Memory = memory;
            RunningIndex = runningIndex;
        }

        public Segment Append(ReadOnlyMemory<byte> memory)
        {
            var next = new Segment(memory, RunningIndex + Memory.Length);
            Next = next;
            return next;
        }
    }

    private struct CountingHandler : IServerOpHandler
    {
        public long Bytes;

        public void OnMsg(ReadOnlySpan<byte> subject, long sid, ReadOnlySpan<byte> replyTo, in ReadOnlySequence<byte> headers, in ReadOnlySequence<byte> payload) =>
            Bytes += subject.Length + headers.Length + payload.Length;

        public void OnInfo(ReadOnlySpan<byte> json) { }
        public void OnPing() { }
        public void OnPong() { }
        public void OnOk() { }
        public void OnErr(ReadOnlySpan<byte> text) { }
    }
}
