using Siem.Core.Events;

namespace Siem.Engine.Detection;

/// <summary>Indexes without detecting (no rules configured).</summary>
public sealed class NoDetector : IDetector
{
    public static NoDetector Instance { get; } = new();

    public void Detect(LogEvent e, List<DetectionHit> output) { }

    public void Flush(List<DetectionHit> output) { }
}
