using System.Globalization;

namespace Siem.Host.Bench.Soak;

/// <summary>The soak report's picture: three stacked panels over time — rate (offered, indexed), consumer lag, RSS per process.</summary>
internal static class PlotChart
{
    private static readonly (byte, byte, byte)[] Palette = [(31, 119, 180), (44, 160, 44), (214, 39, 40), (148, 103, 189), (255, 127, 14), (23, 190, 207)];
    private static readonly (byte, byte, byte) Ink = (40, 40, 40), Grid = (220, 220, 220);

    public static byte[] Render(IReadOnlyList<SoakSample> samples)
    {
        const int width = 960, panelHeight = 220, top = 10;
        var canvas = new PlotCanvas(width, top + 3 * panelHeight + 30);
        var processes = samples.SelectMany(s => s.RssBytes.Keys).Distinct(StringComparer.Ordinal).ToList();
        Panel(canvas, top, panelHeight, samples, "RATE LINES/S", [("OFFERED", s => s.OfferedPerSecond), ("INDEXED", s => s.IndexedPerSecond)]);
        Panel(canvas, top + panelHeight, panelHeight, samples, "CONSUMER LAG MESSAGES (PENDING + ACK PENDING)", [("LAG", s => s.LagMessages)]);
        Panel(canvas, top + 2 * panelHeight, panelHeight, samples, "RSS MB",
            [.. processes.Select(p => (p.ToUpperInvariant(), (Func<SoakSample, double>)(s => s.RssBytes.GetValueOrDefault(p) / 1048576.0)))]);
        double end = samples.Count > 0 ? samples[^1].ElapsedSeconds : 0;
        canvas.Text(70, top + 3 * panelHeight + 8, $"TIME 0 - {end.ToString("0", CultureInfo.InvariantCulture)} S", Ink);
        return canvas.ToPng();
    }

    private static void Panel(PlotCanvas c, int y0, int height, IReadOnlyList<SoakSample> samples, string title, IReadOnlyList<(string Name, Func<SoakSample, double> Value)> series)
    {
        int left = 70, right = c.Width - 20, top = y0 + 30, bottom = y0 + height - 20;
        double max = samples.Count == 0 ? 1 : Math.Max(1e-9, series.Max(s => samples.Max(s.Value)));
        max = NiceCeiling(max);
        double end = samples.Count > 0 ? Math.Max(1, samples[^1].ElapsedSeconds) : 1;
        for (int g = 0; g <= 4; g++)
        {
            int gy = bottom - (bottom - top) * g / 4;
            c.Line(left, gy, right, gy, Grid);
            c.Text(4, gy - 5, Format(max * g / 4), Ink, 2);
        }
        c.Rect(left, top, right - left, bottom - top, Ink);
        int x = left;
        c.Text(x, y0 + 8, title + ":", Ink);
        x += (title.Length + 2) * 8;
        for (int i = 0; i < series.Count; i++)
        {
            var colour = Palette[i % Palette.Length];
            c.Text(x, y0 + 8, series[i].Name, colour);
            x += (series[i].Name.Length + 2) * 8;
            int? px = null, py = null;
            foreach (var s in samples)
            {
                int sx = left + (int)((right - left) * s.ElapsedSeconds / end);
                int sy = bottom - (int)((bottom - top) * Math.Clamp(series[i].Value(s) / max, 0, 1));
                if (px is { } lx && py is { } ly) c.Line(lx, ly, sx, sy, colour, thickness: 2);
                px = sx;
                py = sy;
            }
        }
    }

    private static double NiceCeiling(double v)
    {
        double magnitude = Math.Pow(10, Math.Floor(Math.Log10(v)));
        foreach (double step in new[] { 1, 2, 2.5, 5, 10 })
        {
            if (step * magnitude >= v) return step * magnitude;
        }
        return 10 * magnitude;
    }

    private static string Format(double v) => v >= 10_000 ? (v / 1000).ToString("0", CultureInfo.InvariantCulture) + "K" : v.ToString(v >= 10 ? "0" : "0.#", CultureInfo.InvariantCulture);
}
