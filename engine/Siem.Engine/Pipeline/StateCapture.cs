namespace Siem.Engine.Pipeline;

/// <summary>
/// The engine's state at one point of the processing loop (<see cref="EngineStateStore.Capture"/>), not yet written:
/// each part is null when it has nothing new to save. <see cref="Sequence"/> orders captures, so an older one never
/// overwrites a newer one on disk.
/// </summary>
/// <param name="SuppressorVersion">The suppressor's <see cref="Alerts.AlertSuppressor.Version"/> the capture holds.</param>
public sealed record StateCapture(long Sequence, Action<Stream>? Correlation, Action<Stream>? Suppression, long SuppressorVersion);
