using Siem.Collectors.Sources;

namespace Siem.Collectors.Agent;

public sealed partial class AgentHost
{
    private async Task StatusLoopAsync()
    {
        using var timer = new PeriodicTimer(_options.StatusInterval);
        try
        {
            do
            {
                WriteStatus();
            }
            while (await timer.WaitForNextTickAsync(_background.Token).ConfigureAwait(false));
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>Snapshot of counters, checkpoints and spool size, written atomically for <c>siem-agent status</c>.</summary>
    public AgentStatus Snapshot()
    {
        using var self = System.Diagnostics.Process.GetCurrentProcess();
        return new()
        {
            AgentId = Enrollment.AgentId,
            Tenant = Enrollment.Tenant,
            Pid = Environment.ProcessId,
            UpdatedAt = DateTimeOffset.UtcNow,
            Connected = Connected,
            LinesRead = Metrics.LinesRead,
            RecordsShipped = Metrics.RecordsShipped,
            BatchesAcked = Metrics.BatchesAcked,
            BatchesSpooled = Metrics.BatchesSpooled,
            BatchesDrained = Metrics.BatchesDrained,
            RecordsDropped = Metrics.RecordsDropped,
            BatchesDropped = Metrics.BatchesDropped,
            Errors = Metrics.Errors,
            SpoolBytes = SpoolBytes,
            SpoolBatches = SpoolBatches,
            NextBatchSeq = _sequence.Peek,
            EngineKeyId = Enrollment.EngineKeyId,
            KeyProblem = KeyProblem,
            Checkpoints = CheckpointsSnapshot(),
            CpuMs = (long)self.TotalProcessorTime.TotalMilliseconds,
            RssBytes = self.WorkingSet64,
            PeakRssBytes = self.PeakWorkingSet64,
            AllocatedBytes = GC.GetTotalAllocatedBytes(),
            GcCommittedBytes = GC.GetGCMemoryInfo().TotalCommittedBytes,
        };
    }

    /// <summary>Restored checkpoints of the file sources, overlaid by what this run committed since.</summary>
    private SortedDictionary<string, long> CheckpointsSnapshot()
    {
        var all = new SortedDictionary<string, long>(StringComparer.Ordinal);
        foreach (var file in _sources.Select(s => s is ModuleLabelledSource labelled ? labelled.Inner : s).OfType<FileTailSource>())
        {
            foreach (var (key, offset) in file.CommittedCheckpoints()) all[key] = offset;
        }
        foreach (var (key, offset) in Metrics.Checkpoints) all[key] = offset;
        return all;
    }

    private void WriteStatus()
    {
        try
        {
            var path = StatusPath;
            var tmp = path + ".tmp";
            File.WriteAllBytes(tmp, Snapshot().ToUtf8Json());
            File.Move(tmp, path, overwrite: true);
        }
        catch (IOException e)
        {
            Metrics.Error();
            _options.Log($"status file not written: {e.Message}");
        }
    }
}
