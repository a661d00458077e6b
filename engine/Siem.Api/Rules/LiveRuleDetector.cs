using Siem.Core.Events;
using Siem.Engine.Detection;
using Siem.Rules;

namespace Siem.Api.Rules;

/// <summary>
/// The engine's detector, rebuilt from the <see cref="RuleStore"/>'s enabled rules whenever the rules change (an analyst's
/// upload, enable or disable — in this process, or in an API process elsewhere, announced by <see cref="RuleStore.Refresh"/>).
/// The new set is compiled on the thread that reports the change; the pipeline's single loop swaps it in before its next
/// call and hands it the open correlation windows of the old one (matched by rule key: windows of rules still loaded carry
/// on, removed rules' windows go, new rules start empty). A set that fails to build keeps the previous one running.
/// </summary>
public sealed class LiveRuleDetector : IDetector, IDisposable
{
    private readonly RuleStore _store;
    private readonly Func<RuleSet, IDetector> _build;
    private readonly Action<string>? _log;
    private readonly object _buildGate = new();
    private IDetector _current;
    private IDetector? _pending;
    private int _reloads;

    public LiveRuleDetector(RuleStore store, Func<RuleSet, IDetector> build, Action<string>? log = null)
    {
        _store = store ?? throw new ArgumentNullException(nameof(store));
        _build = build ?? throw new ArgumentNullException(nameof(build));
        _log = log;
        _current = build(store.EnabledRuleSet());
        store.Changed += Reload;
    }

    /// <summary>Rule sets built after a change (swapped in at the pipeline's next call).</summary>
    public int Reloads => Volatile.Read(ref _reloads);

    /// <summary>The detector running now (tests, counters).</summary>
    public IDetector Current => _current;

    public void Detect(LogEvent e, List<DetectionHit> output)
    {
        SwapIfPending();
        _current.Detect(e, output);
    }

    public void Flush(List<DetectionHit> output)
    {
        SwapIfPending();
        _current.Flush(output);
    }

    public byte[]? SaveState()
    {
        SwapIfPending();
        return _current.SaveState();
    }

    public Action<Stream>? CaptureState()
    {
        SwapIfPending();
        return _current.CaptureState();
    }

    public void RestoreState(byte[] state) => _current.RestoreState(state);

    public int Forget(IReadOnlySet<string> recordIds, IReadOnlySet<string> values)
    {
        SwapIfPending();
        return _current.Forget(recordIds, values);
    }

    private void Reload()
    {
        try
        {
            // One build at a time; the newest set wins when changes come quickly.
            lock (_buildGate)
            {
                var set = _store.EnabledRuleSet();
                Volatile.Write(ref _pending, _build(set));
                Interlocked.Increment(ref _reloads);
                _log?.Invoke($"rules reloaded: {set.Rules.Count} detection rules, {set.Correlations.Count} correlations enabled");
            }
        }
        catch (Exception ex) when (ex is InvalidDataException or ArgumentException or IOException)
        {
            _log?.Invoke($"rules not reloaded, the previous set keeps running: {ex.Message}");
        }
    }

    /// <summary>On the pipeline's loop: the new set takes over the old one's open correlation windows, then runs.</summary>
    private void SwapIfPending()
    {
        if (Volatile.Read(ref _pending) == null) return;
        var next = Interlocked.Exchange(ref _pending, null);
        if (next == null) return;
        if (_current.SaveState() is { } state)
        {
            try
            {
                next.RestoreState(state);
            }
            catch (InvalidDataException ex)
            {
                _log?.Invoke($"open correlation windows could not be carried to the new rules and start over: {ex.Message}");
            }
        }
        _current = next;
    }

    public void Dispose() => _store.Changed -= Reload;
}
