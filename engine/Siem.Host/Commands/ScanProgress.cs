using System.Diagnostics;

namespace Siem.Host.Commands;

/// <summary>A progress bar on stderr (only when stderr is a terminal), redrawn at most five times a second.</summary>
internal sealed class ScanProgress(TextWriter stderr, ScanInputs reader)
{
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private long _lastDraw = -1000;
    private long _events;
    private bool _drawn;

    public void Tick()
    {
        _events++;
        // Short scans finish before the first redraw: no bar at all.
        if ((_events & 255) != 0 || _clock.ElapsedMilliseconds - _lastDraw < 200 || _clock.ElapsedMilliseconds < 1000)
        {
            return;
        }
        _lastDraw = _clock.ElapsedMilliseconds;
        var fraction = reader.TotalBytes == 0 ? 0 : Math.Min(1.0, (double)reader.BytesRead / reader.TotalBytes);
        var filled = (int)(fraction * 30);
        stderr.Write($"\r[{new string('#', filled)}{new string('.', 30 - filled)}] {fraction:P0} {_events} events");
        _drawn = true;
    }

    public void Done()
    {
        if (_drawn)
        {
            stderr.WriteLine();
        }
    }
}
