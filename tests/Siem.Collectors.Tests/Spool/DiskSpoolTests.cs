using System.Text;
using Siem.Collectors.Spool;
using Siem.Core.Envelope;

namespace Siem.Collectors.Tests.Spool;

public sealed class DiskSpoolTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("siem-spool-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static SpoolEntry Entry(ulong seq, int size = 100)
    {
        var body = new byte[size];
        new Random((int)seq).NextBytes(body);
        var msgId = EnvelopeFormat.MsgId("a1", seq);
        var headers = new KeyValuePair<string, string>[] { new("Siem-Agent", "a1"), new("Siem-Batch-Seq", seq.ToString(System.Globalization.CultureInfo.InvariantCulture)), new("Nats-Msg-Id", msgId) };
        return new SpoolEntry("siem.events.t.a1", (int)seq * 10, new SealedEnvelope(headers, body, msgId) { BatchSeq = seq });
    }

    private static SpoolOptions Small(long max = 1 << 20, long segment = 1024) => new() { MaxBytes = max, SegmentBytes = segment };

    [Fact]
    public void Entries_come_back_in_order_across_segments_with_subject_headers_and_body()
    {
        using var spool = new DiskSpool(_dir, Small());
        for (ulong i = 1; i <= 30; i++) Assert.True(spool.TryAppend(Entry(i)));
        Assert.True(spool.SegmentCount > 1);
        Assert.Equal(30, spool.PendingBatches);

        for (ulong i = 1; i <= 30; i++)
        {
            var e = spool.Peek()!;
            var expected = Entry(i);
            Assert.Equal(i, e.Envelope.BatchSeq);
            Assert.Equal("siem.events.t.a1", e.Subject);
            Assert.Equal((int)i * 10, e.RecordCount);
            Assert.Equal($"a1:{i}", e.Envelope.MsgId);
            Assert.Equal(expected.Envelope.Headers, e.Envelope.Headers);
            Assert.Equal(expected.Envelope.Body, e.Envelope.Body);
            spool.Advance();
        }
        Assert.Null(spool.Peek());
        Assert.True(spool.IsEmpty);
        Assert.Equal(0, spool.PendingBytes);
        Assert.Single(Directory.GetFiles(_dir, "*.seg"));
    }

    [Fact]
    public void Reopening_resumes_after_the_last_acknowledged_entry()
    {
        using (var spool = new DiskSpool(_dir, Small()))
        {
            for (ulong i = 1; i <= 20; i++) spool.TryAppend(Entry(i));
            for (var i = 0; i < 12; i++)
            {
                spool.Peek();
                spool.Advance();
            }
        }
        using var reopened = new DiskSpool(_dir, Small());
        Assert.Equal(8, reopened.PendingBatches);
        Assert.Equal(13UL, reopened.Peek()!.Envelope.BatchSeq);
    }

    [Fact]
    public void A_torn_tail_is_cut_on_open_and_the_complete_entries_survive()
    {
        using (var spool = new DiskSpool(_dir, Small(segment: 1 << 20)))
        {
            for (ulong i = 1; i <= 5; i++) spool.TryAppend(Entry(i));
        }
        var segment = Directory.GetFiles(_dir, "*.seg").Single();
        var full = File.ReadAllBytes(segment);
        File.WriteAllBytes(segment, full.AsSpan(0, full.Length - 37).ToArray()); // crash in the middle of entry 5

        using var reopened = new DiskSpool(_dir, Small(segment: 1 << 20));

        Assert.Equal(4, reopened.PendingBatches);
        Assert.True(reopened.TruncatedBytesOnOpen > 0);
        Assert.True(reopened.TryAppend(Entry(6)));
        var seqs = new List<ulong>();
        while (reopened.Peek() is { } e)
        {
            seqs.Add(e.Envelope.BatchSeq);
            reopened.Advance();
        }
        Assert.Equal([1UL, 2, 3, 4, 6], seqs);
    }

    [Fact]
    public void A_flipped_byte_in_the_last_entry_is_detected_by_the_crc_and_cut()
    {
        using (var spool = new DiskSpool(_dir, Small(segment: 1 << 20)))
        {
            for (ulong i = 1; i <= 3; i++) spool.TryAppend(Entry(i));
        }
        var segment = Directory.GetFiles(_dir, "*.seg").Single();
        var bytes = File.ReadAllBytes(segment);
        bytes[^5] ^= 0xFF;
        File.WriteAllBytes(segment, bytes);

        using var reopened = new DiskSpool(_dir, Small(segment: 1 << 20));

        Assert.Equal(2, reopened.PendingBatches);
    }

    [Fact]
    public void Full_spool_refuses_the_append_and_writes_nothing()
    {
        using var spool = new DiskSpool(_dir, Small(max: 1000, segment: 400));
        var appended = 0;
        while (spool.TryAppend(Entry((ulong)appended + 1))) appended++;
        var bytes = spool.PendingBytes;

        Assert.False(spool.TryAppend(Entry(99)));
        Assert.Equal(bytes, spool.PendingBytes);
        Assert.True(bytes <= 1000);
        Assert.Equal(appended, spool.PendingBatches);
    }

    [Fact]
    public void Drop_oldest_removes_the_head_segment_and_reports_what_was_lost()
    {
        using var spool = new DiskSpool(_dir, Small(max: 1 << 20, segment: 400));
        for (ulong i = 1; i <= 10; i++) spool.TryAppend(Entry(i));
        var before = spool.PendingBatches;

        var (batches, records) = spool.DropOldest();

        Assert.True(batches > 0);
        Assert.Equal(before - batches, spool.PendingBatches);
        Assert.Equal(Enumerable.Range(1, (int)batches).Sum(i => i * 10), records);
        Assert.Equal((ulong)batches + 1, spool.Peek()!.Envelope.BatchSeq);
    }

    [Fact]
    public void The_spool_holds_only_the_sealed_body_never_a_plaintext_marker()
    {
        using (var spool = new DiskSpool(_dir, Small()))
        {
            spool.TryAppend(Entry(1));
        }
        var all = Directory.GetFiles(_dir, "*.seg").SelectMany(File.ReadAllBytes).ToArray();
        Assert.Equal(-1, all.AsSpan().IndexOf(Encoding.UTF8.GetBytes("password")));
    }
}
