using System.Threading.Channels;
using Siem.Engine.Alerts;

namespace Siem.Api.Live;

/// <summary>
/// Fans alerts out to the browsers watching the live list. The engine's thread calls <see cref="Publish"/> and never
/// waits: each watcher has a bounded buffer; when a slow watcher's buffer is full its oldest alert is dropped and
/// counted (<see cref="Dropped"/> and the watcher's own count), so the browser can be told to reload. The index keeps
/// every alert; only the live view can miss one.
/// </summary>
public sealed class AlertFeed
{
    private readonly object _gate = new();
    private readonly int _bufferPerWatcher;
    private List<AlertWatcher> _watchers = [];
    private long _dropped;

    public AlertFeed(int bufferPerWatcher = 256)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(bufferPerWatcher, 1);
        _bufferPerWatcher = bufferPerWatcher;
    }

    public long Dropped => Interlocked.Read(ref _dropped);

    public int Watchers => Volatile.Read(ref _watchers).Count;

    /// <summary>A new or updated (folded repeat) alert, as the index now holds it.</summary>
    public void Publish(AlertDocument alert, bool isNew)
    {
        ArgumentNullException.ThrowIfNull(alert);
        foreach (var w in Volatile.Read(ref _watchers))
        {
            if (w.Offer(new LiveAlert(alert, isNew))) Interlocked.Increment(ref _dropped);
        }
    }

    /// <summary>Starts watching: alerts published from now on arrive in the watcher until it is disposed.</summary>
    public AlertWatcher Watch()
    {
        var watcher = new AlertWatcher(Channel.CreateBounded<LiveAlert>(new BoundedChannelOptions(_bufferPerWatcher) { SingleReader = true }), Remove);
        lock (_gate) _watchers = [.. _watchers, watcher];
        return watcher;
    }

    private void Remove(AlertWatcher watcher)
    {
        lock (_gate) _watchers = [.. _watchers.Where(w => w != watcher)];
    }
}
