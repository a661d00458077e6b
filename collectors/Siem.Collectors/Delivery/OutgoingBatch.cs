using Siem.Collectors.Sources;
using Siem.Core.Envelope;

namespace Siem.Collectors.Delivery;

/// <summary>Where a source may commit to once this batch is durable (acked by JetStream or fsynced in the spool).</summary>
internal readonly record struct CommitMark(ILogSource Source, RawLine UpTo);

/// <summary>One sealed batch on its way to the broker, with the checkpoints it unlocks.</summary>
internal sealed record OutgoingBatch(string Subject, SealedEnvelope Envelope, int RecordCount, IReadOnlyList<CommitMark> Marks);
