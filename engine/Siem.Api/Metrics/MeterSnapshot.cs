using System.Diagnostics.Metrics;
using System.Globalization;

namespace Siem.Api.Metrics;

/// <summary>
/// Reads this process's own instruments — the same ones <c>siem serve</c> exports over OTLP — for the console's
/// status page. A <see cref="MeterListener"/> sees every instrument of the named meters, including ones created
/// later; observable instruments are asked for their value at each <see cref="Read"/>, counters and histograms are
/// accumulated as they record. It runs beside the OTLP exporter (each listener gets its own measurements).
/// </summary>
public sealed class MeterSnapshot : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly HashSet<string> _meters;
    private readonly Lock _gate = new();
    // Observable instruments: rebuilt at each read (two meters of one name, e.g. two engines in a process, add up).
    private readonly Dictionary<(string Name, string? Tags), MetricReading> _observed = [];
    // Instruments that record as they go: totals since the snapshot started.
    private readonly Dictionary<(string Name, string? Tags), Accumulated> _recorded = [];

    private sealed class Accumulated(string kind, string? unit)
    {
        public string Kind { get; } = kind;
        public string? Unit { get; } = unit;
        public double Total;
        public long Count;
        public double Max = double.NegativeInfinity;
    }

    public MeterSnapshot(IEnumerable<string> meterNames)
    {
        ArgumentNullException.ThrowIfNull(meterNames);
        _meters = new HashSet<string>(meterNames, StringComparer.Ordinal);
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (_meters.Contains(instrument.Meter.Name)) listener.EnableMeasurementEvents(instrument);
        };
        _listener.SetMeasurementEventCallback<long>((i, v, tags, _) => OnMeasurement(i, v, tags));
        _listener.SetMeasurementEventCallback<int>((i, v, tags, _) => OnMeasurement(i, v, tags));
        _listener.SetMeasurementEventCallback<double>((i, v, tags, _) => OnMeasurement(i, v, tags));
        _listener.Start();
    }

    /// <summary>Every instrument's current reading, sorted by name and tags.</summary>
    public IReadOnlyList<MetricReading> Read()
    {
        lock (_gate)
        {
            _observed.Clear();
            // Observable callbacks run here, on this thread, and land in OnMeasurement (the lock is re-entrant).
            _listener.RecordObservableInstruments();
            var all = new List<MetricReading>(_observed.Values);
            foreach (var ((name, tags), a) in _recorded)
            {
                all.Add(a.Kind == "histogram"
                    ? new MetricReading(name, a.Kind, tags, a.Count == 0 ? 0 : a.Total / a.Count, a.Unit, a.Count, a.Total, a.Count == 0 ? null : a.Max)
                    : new MetricReading(name, a.Kind, tags, a.Total, a.Unit));
            }
            all.Sort((x, y) => string.CompareOrdinal(x.Name + "{" + x.Tags, y.Name + "{" + y.Tags));
            return all;
        }
    }

    private void OnMeasurement(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var key = (instrument.Name, Tags(tags));
        lock (_gate)
        {
            if (instrument.IsObservable)
            {
                string kind = IsA(instrument, typeof(ObservableCounter<>)) ? "counter" : "gauge";
                _observed[key] = _observed.TryGetValue(key, out var seen) ? seen with { Value = seen.Value + value } : new MetricReading(instrument.Name, kind, key.Item2, value, instrument.Unit);
                return;
            }
            if (!_recorded.TryGetValue(key, out var a))
            {
                string kind = IsA(instrument, typeof(Histogram<>)) ? "histogram" : IsA(instrument, typeof(Gauge<>)) ? "gauge" : "counter";
                _recorded[key] = a = new Accumulated(kind, instrument.Unit);
            }
            if (a.Kind == "gauge") a.Total = value;
            else a.Total += value;
            a.Count++;
            a.Max = Math.Max(a.Max, value);
        }
    }

    private static bool IsA(Instrument instrument, Type openGeneric) =>
        instrument.GetType() is { IsGenericType: true } t && t.GetGenericTypeDefinition() == openGeneric;

    private static string? Tags(ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        if (tags.Length == 0) return null;
        var parts = new string[tags.Length];
        for (int i = 0; i < tags.Length; i++) parts[i] = tags[i].Key + "=" + Convert.ToString(tags[i].Value, CultureInfo.InvariantCulture);
        Array.Sort(parts, StringComparer.Ordinal);
        return string.Join(",", parts);
    }

    public void Dispose() => _listener.Dispose();
}
