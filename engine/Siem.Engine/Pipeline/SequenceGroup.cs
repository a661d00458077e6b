namespace Siem.Engine.Pipeline;

/// <summary>
/// The batches classified while processing one group of messages. <see cref="BatchSequenceTracker.Commit"/>
/// persists them only after the index confirmed the group; a group that failed is simply dropped.
/// </summary>
public sealed class SequenceGroup
{
    internal Dictionary<string, (ulong BatchSeq, ulong StreamSeq)> Marks { get; } = new(StringComparer.Ordinal);

    internal Dictionary<(string AgentId, ulong BatchSeq), ulong> Processed { get; } = [];
}
