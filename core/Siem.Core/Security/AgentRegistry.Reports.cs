using System.Collections.Concurrent;

namespace Siem.Core.Security;

/// <summary>
/// Agents' engine key reports, coalesced: every agent reports at every key check (default every 5 min), so thousands of
/// agents would mean thousands of fsynced rewrites of the whole file. A report that changes something waits in memory
/// (readers of this instance see it at once) and one write persists all waiting reports within
/// <see cref="ReportFlushDelay"/>, or sooner with the next enrollment, revocation or identity rotation. A crash loses
/// at most that delay's reports, and the agents repeat them at their next key check, so nothing stays lost.
/// </summary>
public sealed partial class AgentRegistry
{
    /// <summary>Reports wait at most this long before they are written.</summary>
    public static readonly TimeSpan DefaultReportFlushDelay = TimeSpan.FromSeconds(1);

    private readonly TimeProvider _clock;
    private readonly ConcurrentDictionary<string, EngineKeyReport> _pendingReports = new(StringComparer.Ordinal);
    private ITimer? _flushTimer;
    private bool _disposed;

    public TimeSpan ReportFlushDelay { get; }

    /// <summary>Told when waiting reports could not be written (they stay waiting and are tried again).</summary>
    public Action<string>? Log { get; init; }

    /// <summary>Reports waiting to be written.</summary>
    public int PendingReports => _pendingReports.Count;

    /// <summary>
    /// Records which engine keys an agent seals to (its report, signed by it). Only a change is recorded, and a report
    /// older than the recorded one is ignored (a replayed or late message). Written within <see cref="ReportFlushDelay"/>
    /// together with the other agents' reports. False if the agent is unknown.
    /// </summary>
    public bool ReportEngineKeys(string agentId, string sealingKeyId, IReadOnlyList<string> pendingKeyIds, DateTimeOffset reportedAt)
    {
        var pending = pendingKeyIds.Where(k => k != sealingKeyId).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();
        var report = new EngineKeyReport(sealingKeyId, pending, reportedAt);
        lock (_gate)
        {
            RefreshIfChanged(forWrite: false);
            if (!_agents.TryGetValue(agentId, out var existing)) return false;
            var current = WithPendingReport(existing);
            if (ReferenceEquals(report.ApplyTo(current), current)) return true;
            _pendingReports[agentId] = report;
            if (_path == null) FlushLocked();
            else _flushTimer ??= _clock.CreateTimer(_ => FlushFromTimer(), null, ReportFlushDelay, Timeout.InfiniteTimeSpan);
            return true;
        }
    }

    /// <summary>Writes the waiting reports now (one write for all of them); nothing when none wait.</summary>
    public void Flush()
    {
        lock (_gate) FlushLocked();
    }

    /// <summary>Writes the waiting reports.</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed) return;
            _disposed = true;
            try
            {
                FlushLocked();
            }
            catch (Exception ex) when (ex is IOException or InvalidDataException or UnauthorizedAccessException)
            {
                Log?.Invoke($"agent registry {_path}: {_pendingReports.Count} agent key report(s) not written at shutdown ({ex.Message}); the agents repeat them at their next key check");
            }
            _flushTimer?.Dispose();
            _flushTimer = null;
        }
    }

    private void FlushLocked()
    {
        if (_pendingReports.IsEmpty) return;
        // Another process may have enrolled or revoked meanwhile: re-read first, then apply the reports to what is there.
        RefreshIfChanged();
        var next = WithPendingReports(_agents);
        Persist(next);
        Replace(next);
        ReportsWritten();
    }

    /// <summary>After a write that included every waiting report (callers hold <c>_gate</c>).</summary>
    private void ReportsWritten()
    {
        _pendingReports.Clear();
        _flushTimer?.Dispose();
        _flushTimer = null;
    }

    private void FlushFromTimer()
    {
        lock (_gate)
        {
            if (_disposed) return;
            try
            {
                FlushLocked();
            }
            catch (Exception ex) when (ex is IOException or InvalidDataException or UnauthorizedAccessException)
            {
                Log?.Invoke($"agent registry {_path}: {_pendingReports.Count} agent key report(s) not written ({ex.Message}); trying again in {ReportFlushDelay.TotalSeconds:0.#} s");
                _flushTimer?.Dispose();
                _flushTimer = _clock.CreateTimer(_ => FlushFromTimer(), null, ReportFlushDelay, Timeout.InfiniteTimeSpan);
            }
        }
    }

    /// <summary>The record as this instance knows it: with the agent's report that waits to be written, if any.</summary>
    private AgentRecord WithPendingReport(AgentRecord record) =>
        !_pendingReports.IsEmpty && _pendingReports.TryGetValue(record.AgentId, out var report) ? report.ApplyTo(record) : record;

    /// <summary>A copy of <paramref name="agents"/> with every waiting report applied (reports of agents that are gone are dropped).</summary>
    private Dictionary<string, AgentRecord> WithPendingReports(Dictionary<string, AgentRecord> agents)
    {
        var next = new Dictionary<string, AgentRecord>(agents, StringComparer.Ordinal);
        foreach (var (agentId, report) in _pendingReports)
        {
            if (next.TryGetValue(agentId, out var record)) next[agentId] = report.ApplyTo(record);
        }
        return next;
    }

    /// <summary>One agent's report: the key it seals to and the earlier keys its spooled batches use.</summary>
    private sealed record EngineKeyReport(string SealingKeyId, string[] PendingKeyIds, DateTimeOffset ReportedAt)
    {
        /// <summary>The record with this report, or the same instance when the report is older or changes nothing.</summary>
        public AgentRecord ApplyTo(AgentRecord existing)
        {
            if (existing.EngineKeyReportedAt is { } last && ReportedAt < last) return existing;
            if (existing.EngineKeyId == SealingKeyId && (existing.PendingEngineKeyIds ?? []).SequenceEqual(PendingKeyIds, StringComparer.Ordinal)) return existing;
            return existing with { EngineKeyId = SealingKeyId, PendingEngineKeyIds = PendingKeyIds, EngineKeyReportedAt = ReportedAt };
        }
    }
}
