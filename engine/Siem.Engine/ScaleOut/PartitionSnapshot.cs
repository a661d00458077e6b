namespace Siem.Engine.ScaleOut;

/// <summary>A partition's saved state: everything up to and including SIEM_CORR sequence <paramref name="Sequence"/> is in it.</summary>
internal sealed record PartitionSnapshot(ulong Sequence, byte[] Correlation, byte[] Suppression);
