using Siem.Collectors.Sources;
using Siem.Core.Envelope;

namespace Siem.Collectors.Delivery;

/// <summary>Where a source may commit to once this batch is acknowledged by JetStream.</summary>
internal readonly record struct CommitMark(ILogSource Source, RawLine UpTo);

/// <summary>One sealed batch on its way to the broker, with the checkpoints it unlocks. <see cref="Envelope"/> is null for a marks-only batch (lines that produced no record).</summary>
internal sealed record OutgoingBatch(string Subject, SealedEnvelope? Envelope, int RecordCount, IReadOnlyList<CommitMark> Marks);
