using System.Diagnostics;
using Siem.Lineage.Purge;

namespace Siem.Host.Bench;

/// <summary>A purge target that remembers how long its step and its verification took (for <c>bench purge</c>).</summary>
internal sealed class TimedPurgeTarget(IPurgeTarget inner) : IPurgeTarget, IPurgeDiscovery
{
    public string Name => inner.Name;
    public double PurgeSeconds { get; private set; }
    public double VerifySeconds { get; private set; }

    /// <summary>CPU this process used during the step (the bench runs nothing else meanwhile).</summary>
    public double PurgeCpuSeconds { get; private set; }

    public async Task DiscoverAsync(PurgeScope scope, CancellationToken cancellationToken = default)
    {
        if (inner is IPurgeDiscovery discovery) await discovery.DiscoverAsync(scope, cancellationToken).ConfigureAwait(false);
    }

    public async Task<PurgeStoreResult> PurgeAsync(PurgeScope scope, CancellationToken cancellationToken = default)
    {
        long began = Stopwatch.GetTimestamp();
        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        try { return await inner.PurgeAsync(scope, cancellationToken).ConfigureAwait(false); }
        finally
        {
            PurgeSeconds += Stopwatch.GetElapsedTime(began).TotalSeconds;
            PurgeCpuSeconds += (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalSeconds;
        }
    }

    public async Task<PurgeStoreCheck> VerifyAsync(PurgeScope scope, CancellationToken cancellationToken = default)
    {
        long began = Stopwatch.GetTimestamp();
        try { return await inner.VerifyAsync(scope, cancellationToken).ConfigureAwait(false); }
        finally { VerifySeconds += Stopwatch.GetElapsedTime(began).TotalSeconds; }
    }
}
