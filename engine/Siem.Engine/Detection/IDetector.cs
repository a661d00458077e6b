using Siem.Core.Events;

namespace Siem.Engine.Detection;

/// <summary>Runs the rules over events, in order. Implementations keep correlation state between calls.</summary>
public interface IDetector
{
    /// <summary>Appends the hits caused by <paramref name="e"/> (detections and any correlations it completes).</summary>
    void Detect(LogEvent e, List<DetectionHit> output);

    /// <summary>Emits what is pending (open correlation windows), at shutdown or when input ends.</summary>
    void Flush(List<DetectionHit> output);

    /// <summary>The state a restart must not forget (open correlation windows), or null when there is none to keep.</summary>
    byte[]? SaveState() => null;

    /// <summary>
    /// The state as of now, to be written later and possibly on another thread while detection goes on (the engine
    /// snapshots off its processing loop); null when there is none to keep. The default copies <see cref="SaveState"/>.
    /// </summary>
    Action<Stream>? CaptureState() => SaveState() is { } state ? stream => stream.Write(state) : null;

    /// <summary>Continues from <see cref="SaveState"/>'s output; throws <see cref="InvalidDataException"/> for a snapshot it cannot read.</summary>
    void RestoreState(byte[] state) { }

    /// <summary>Purges: drops the open correlation matches of <paramref name="recordIds"/> or holding one of
    /// <paramref name="values"/> (see <c>CorrelationEngine.Forget</c>); returns how many went. None without state.</summary>
    int Forget(IReadOnlySet<string> recordIds, IReadOnlySet<string> values) => 0;
}
