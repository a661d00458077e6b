using Siem.Core.Events;
using Siem.Engine.Detection;
using Siem.Rules;

namespace Siem.Api.Rules;

/// <summary>
/// The engine's detector, rebuilt from the <see cref="RuleStore"/>'s enabled rules whenever an analyst uploads, enables or
/// disables a rule. The pipeline calls <see cref="Detect"/> from its single loop; a reload swaps the whole detector at once
/// (open correlation windows start over: the price of a rule change, said in the log). A set that fails to build keeps the
/// previous one running.
/// </summary>
public sealed class LiveRuleDetector : IDetector, IDisposable
{
    private readonly RuleStore _store;
    private readonly Func<RuleSet, IDetector> _build;
    private readonly Action<string>? _log;
    private IDetector _current;

    public LiveRuleDetector(RuleStore store, Func<RuleSet, IDetector> build, Action<string>? log = null)
    {
        _store = store ?? throw new ArgumentNullException(nameof(store));
        _build = build ?? throw new ArgumentNullException(nameof(build));
        _log = log;
        _current = build(store.EnabledRuleSet());
        store.Changed += Reload;
    }

    public int Reloads { get; private set; }

    public void Detect(LogEvent e, List<DetectionHit> output) => Volatile.Read(ref _current).Detect(e, output);

    public void Flush(List<DetectionHit> output) => Volatile.Read(ref _current).Flush(output);

    private void Reload()
    {
        try
        {
            var set = _store.EnabledRuleSet();
            Volatile.Write(ref _current, _build(set));
            Reloads++;
            _log?.Invoke($"rules reloaded: {set.Rules.Count} detection rules, {set.Correlations.Count} correlations enabled (open correlation windows start over)");
        }
        catch (Exception ex) when (ex is InvalidDataException or ArgumentException or IOException)
        {
            _log?.Invoke($"rules not reloaded, the previous set keeps running: {ex.Message}");
        }
    }

    public void Dispose() => _store.Changed -= Reload;
}
