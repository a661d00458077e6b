using System.Threading.Channels;
using Siem.Collectors.Delivery;
using Siem.Collectors.Parsing;
using Siem.Collectors.Sources;
using Siem.Core.Envelope;
using Siem.Core.Events;

namespace Siem.Collectors.Agent;

/// <summary>
/// sources → (bounded channel) → ParserPipeline → batch → seal → shipper. One loop owns the parser (it is
/// stateful) and the batch. The channel holds at most <see cref="LineBuffer"/> lines; when the shipper
/// pushes back, the loop stops reading it and the sources stop reading their inputs.
/// A commit mark never passes <see cref="ParserPipeline.OldestPendingOffset"/>: lines the parser holds back
/// (auditd groups) are re-read after a crash rather than lost.
/// </summary>
internal sealed class AgentPipeline(
    IReadOnlyList<ILogSource> sources,
    ParserPipeline parser,
    AgentSealer sealer,
    BatchShipper shipper,
    BatchOptions options,
    string subject,
    AgentMetrics metrics,
    Action<string> log)
{
    // Lines up to these resume offsets are already in spooled batches from before a crash: mark, do not batch again.
    private readonly Dictionary<string, long> _covered = new(shipper.Coverage, StringComparer.Ordinal);

    private const int LineBuffer = 4096;
    private static readonly TimeSpan IdleFlush = TimeSpan.FromSeconds(1);

    private readonly record struct Item(ILogSource? Source, RawLine Line);

    /// <summary>Runs until <paramref name="stopReading"/> fires (then ships what was read) or every source ended.
    /// <paramref name="hardStop"/> abandons the final hand-over if the shipper cannot take it.</summary>
    public async Task RunAsync(CancellationToken stopReading, CancellationToken hardStop)
    {
        var channel = Channel.CreateBounded<Item>(new BoundedChannelOptions(LineBuffer) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });
        var readers = sources.Select(s => Task.Run(() => ReadSourceAsync(s, channel.Writer, stopReading), CancellationToken.None)).ToArray();
        _ = Task.WhenAll(readers).ContinueWith(_ => channel.Writer.TryComplete(), TaskScheduler.Default);
        using var tickerStop = CancellationTokenSource.CreateLinkedTokenSource(hardStop);
        var ticker = Task.Run(() => TickAsync(channel.Writer, tickerStop.Token), CancellationToken.None);

        var builder = new BatchBuilder();
        var events = new List<LogEvent>(16);
        var lastLineAt = Environment.TickCount64;
        var flushedSinceLastLine = true;
        var lingerMs = (long)options.Linger.TotalMilliseconds;
        var reader = channel.Reader;
        while (await reader.WaitToReadAsync(hardStop).ConfigureAwait(false))
        {
            while (reader.TryRead(out var item))
            {
                if (item.Source is null)
                {
                    var now = Environment.TickCount64;
                    if (!flushedSinceLastLine && now - lastLineAt >= IdleFlush.TotalMilliseconds)
                    {
                        parser.Flush(events); // idle: emit held-back groups so they do not wait for the next line
                        await AddAsync(builder, events, hardStop).ConfigureAwait(false);
                        events.Clear();
                        flushedSinceLastLine = true;
                    }
                    if ((builder.Records > 0 && now - builder.StartedAt >= lingerMs) || (builder.Records == 0 && builder.HasMarks && now - lastLineAt >= lingerMs))
                        await CutAsync(builder, hardStop).ConfigureAwait(false);
                    continue;
                }
                metrics.LineRead();
                lastLineAt = Environment.TickCount64;
                flushedSinceLastLine = false;
                var line = item.Line;
                if (_covered.Count > 0 && _covered.TryGetValue(line.SourceKey, out var covered))
                {
                    if (line.NextOffset <= covered)
                    {
                        builder.Mark(item.Source, line);
                        continue;
                    }
                    _covered.Remove(line.SourceKey);
                }
                parser.Parse(line, events);
                await AddAsync(builder, events, hardStop).ConfigureAwait(false);
                events.Clear();
                var pending = parser.OldestPendingOffset(line.SourceKey);
                if (pending is null || line.NextOffset <= pending) builder.Mark(item.Source, line);
                if (builder.Records >= options.MaxRecords || builder.Bytes >= options.MaxBytes) await CutAsync(builder, hardStop).ConfigureAwait(false);
            }
        }
        await tickerStop.CancelAsync().ConfigureAwait(false);
        await ticker.ConfigureAwait(false);
        parser.Flush(events);
        await AddAsync(builder, events, hardStop).ConfigureAwait(false);
        if (builder.Records > 0 || builder.HasMarks) await CutAsync(builder, hardStop).ConfigureAwait(false);
    }

    /// <summary>
    /// Adds the events of one line. A big event (see <see cref="OversizeEvent"/>) is cut to <see cref="BatchOptions.MaxBytes"/>
    /// and starts a batch of its own when the batch so far cannot take it, so no batch grows past what the server accepts.
    /// </summary>
    private async ValueTask AddAsync(BatchBuilder builder, List<LogEvent> events, CancellationToken cancellationToken)
    {
        for (int i = 0; i < events.Count; i++)
        {
            if (events[i].Original.Length <= OversizeEvent.CheckAboveChars) continue;
            foreach (var e in events)
            {
                var fitted = OversizeEvent.Fit(e, options.MaxBytes, builder.Measure);
                if (builder.Records > 0 && builder.Bytes + builder.Measure(fitted) > options.MaxBytes) await CutAsync(builder, cancellationToken).ConfigureAwait(false);
                builder.Add(fitted);
            }
            return;
        }
        builder.Add(events);
    }

    private async Task CutAsync(BatchBuilder builder, CancellationToken cancellationToken)
    {
        // A batch without records only carries checkpoints forward; it takes no sequence number and is never published.
        var envelope = builder.Records > 0 ? sealer.SealNext(builder.Plaintext) : null;
        var (records, marks) = builder.Take();
        await shipper.SendAsync(new OutgoingBatch(subject, envelope, records, marks), cancellationToken).ConfigureAwait(false);
    }

    private async Task ReadSourceAsync(ILogSource source, ChannelWriter<Item> writer, CancellationToken cancellationToken)
    {
        try
        {
            await foreach (var line in source.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                await writer.WriteAsync(new Item(source, line), cancellationToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
        catch (Exception e)
        {
            metrics.Error();
            log($"source {source.Name} stopped: {e.GetType().Name}: {e.Message}");
        }
    }

    private async Task TickAsync(ChannelWriter<Item> writer, CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(Math.Max(5, options.Linger.TotalMilliseconds / 2)));
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
            {
                writer.TryWrite(default); // full channel = busy pipeline; batches are being cut by size anyway
            }
        }
        catch (OperationCanceledException)
        {
        }
    }
}
