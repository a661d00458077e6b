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

    public void Discard() => _pending.Clear();

    public async Task FlushAsync(CancellationToken cancellationToken = default)
    {
        if (_pending.Count == 0) return;
        await PublishAsync(_pending, cancellationToken).ConfigureAwait(false);
        _pending.Clear();
    }

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
