using Siem.Core.Events;

namespace Siem.Engine.Detection;

/// <summary>Runs the rules over events, in order. Implementations keep correlation state between calls.</summary>
public interface IDetector
{
    /// <summary>Appends the hits caused by <paramref name="e"/> (detections and any correlations it completes).</summary>
    void Detect(LogEvent e, List<DetectionHit> output);

    /// <summary>Emits what is pending (open correlation windows), at shutdown or when input ends.</summary>
    void Flush(List<DetectionHit> output);
}
