using System.Globalization;
using System.Text;
using NodaTime;
using Siem.Engine.Detection;
using Siem.Nats;
using Siem.Nats.JetStream;
using Siem.Rules.Correlation;

namespace Siem.Engine.ScaleOut;

/// <summary>
/// The <see cref="ICorrelationOutbox"/> of a scaled-out engine: publishes each contribution to SIEM_CORR on its
/// partition's subject and waits for every PubAck. <c>Nats-Msg-Id</c> = window token + rule index + record id hash, so a
/// redelivered source message (an engine died between this flush and its ack) is dropped by the stream's duplicate
/// window, and after that by the window's own record-id dedupe. Not thread-safe for <see cref="Add"/>: one pipeline loop.
/// </summary>
public sealed class CorrelationRouter : ICorrelationOutbox
{
    /// <summary>PubAcks awaited at once; more are published after the first ones are confirmed.</summary>
    private const int PublishWindow = 256;
    private readonly NatsJSContext _js;
    private readonly int _partitions;
    private readonly bool _serverMapping;
    private readonly List<CorrelationContribution> _pending = [];
    private long _published;
    /// <summary>Latest event time of the group being detected, and of the committed groups (unix ticks; the latter read by the watermark loop).</summary>
    private long _observed = long.MinValue, _committed = long.MinValue;

    public CorrelationRouter(NatsJSContext js, int partitions, bool serverMapping)
    {
        _js = js ?? throw new ArgumentNullException(nameof(js));
        ArgumentOutOfRangeException.ThrowIfLessThan(partitions, 1);
        _partitions = partitions;
        _serverMapping = serverMapping;
    }

    /// <summary>Contributions confirmed by the stream.</summary>
    public long Published => Interlocked.Read(ref _published);

    public void Add(CorrelationContribution contribution) => _pending.Add(contribution ?? throw new ArgumentNullException(nameof(contribution)));

    public void Discard()
    {
        _pending.Clear();
        _observed = Volatile.Read(ref _committed); // the redelivered group is observed again
    }

    public void Observe(Instant eventTime) => _observed = Math.Max(_observed, eventTime.ToUnixTimeTicks());

    /// <summary>
    /// Event time up to which this engine's matches are confirmed in SIEM_CORR (null before the first group): a
    /// partition's windows may close by it, since no match of an earlier event of this engine is still on its way.
    /// </summary>
    public Instant? Watermark
    {
        get
        {
            long committed = Volatile.Read(ref _committed);
            return committed == long.MinValue ? null : Instant.FromUnixTimeTicks(committed);
        }
    }

    public async Task FlushAsync(CancellationToken cancellationToken = default)
    {
        if (_pending.Count > 0) await PublishAsync(_pending, cancellationToken).ConfigureAwait(false);
        _pending.Clear();
        if (_observed > Volatile.Read(ref _committed)) Volatile.Write(ref _committed, _observed);
    }

    /// <summary>
    /// Tells every partition that event time reached <paramref name="watermark"/> (a tick in SIEM_CORR, so a partition
    /// replayed after a takeover closes its windows at the same place in its stream, raising the same alerts).
    /// </summary>
    public async Task PublishWatermarkAsync(Instant watermark, CancellationToken cancellationToken = default)
    {
        var body = Encoding.ASCII.GetBytes(watermark.ToUnixTimeTicks().ToString(CultureInfo.InvariantCulture));
        var acks = new Task<PubAck>[_partitions];
        for (int p = 0; p < _partitions; p++) acks[p] = _js.PublishAsync(CorrelationSubjects.Watermark(p), body, cancellationToken: cancellationToken);
        await Task.WhenAll(acks).ConfigureAwait(false);
    }

    /// <summary>The event time a watermark tick carries; null when the body is not one.</summary>
    public static Instant? ParseWatermark(ReadOnlySpan<byte> body) =>
        long.TryParse(body, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long ticks)
        && ticks >= Instant.MinValue.ToUnixTimeTicks() && ticks <= Instant.MaxValue.ToUnixTimeTicks() ? Instant.FromUnixTimeTicks(ticks) : null;

    /// <summary>Publishes contributions (the pipeline's, or chained matches from a partition) and waits for every PubAck.</summary>
    public async Task PublishAsync(IReadOnlyList<CorrelationContribution> contributions, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(contributions);
        for (int from = 0; from < contributions.Count; from += PublishWindow)
        {
            int to = Math.Min(contributions.Count, from + PublishWindow);
            var acks = new Task<PubAck>[to - from];
            for (int i = from; i < to; i++)
            {
                var c = contributions[i];
                string token = CorrelationSubjects.Token(c.GroupKey);
                string subject = _serverMapping
                    ? CorrelationSubjects.Mapped("c", token)
                    : CorrelationSubjects.Partition(CorrelationSubjects.PartitionOf(token, _partitions), "c", token);
                acks[i - from] = _js.PublishAsync(subject, ContributionJson.Serialize(c), msgId: $"{token}:{c.RuleIndex}:{CorrelationSubjects.Token(c.RecordId)}", cancellationToken: cancellationToken);
            }
            await Task.WhenAll(acks).ConfigureAwait(false);
            Interlocked.Add(ref _published, acks.Length);
        }
    }
}
