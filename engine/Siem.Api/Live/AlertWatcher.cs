using System.Threading.Channels;

namespace Siem.Api.Live;

/// <summary>One browser's view of the <see cref="AlertFeed"/>: a bounded buffer that drops its oldest alert when full.</summary>
public sealed class AlertWatcher : IDisposable
{
    private readonly Channel<LiveAlert> _channel;
    private readonly Action<AlertWatcher> _onDispose;
    private long _dropped;

    internal AlertWatcher(Channel<LiveAlert> channel, Action<AlertWatcher> onDispose)
    {
        _channel = channel;
        _onDispose = onDispose;
    }

    public ChannelReader<LiveAlert> Reader => _channel.Reader;

    /// <summary>Alerts this watcher lost because it fell behind.</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>Queues an alert; true when the oldest queued one had to be dropped to make room.</summary>
    internal bool Offer(LiveAlert alert)
    {
        if (_channel.Writer.TryWrite(alert)) return false;
        bool dropped = _channel.Reader.TryRead(out _);
        if (dropped) Interlocked.Increment(ref _dropped);
        _channel.Writer.TryWrite(alert);
        return dropped;
    }

    public void Dispose()
    {
        _channel.Writer.TryComplete();
        _onDispose(this);
    }
}
