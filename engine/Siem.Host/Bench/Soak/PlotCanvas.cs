namespace Siem.Host.Bench.Soak;

/// <summary>An RGB pixel canvas with lines (Bresenham), rectangles and a 3x5 pixel font for labels, saved through <see cref="PlotPng"/>.</summary>
internal sealed class PlotCanvas
{
    private readonly byte[] _rgb;

    public int Width { get; }
    public int Height { get; }

    public PlotCanvas(int width, int height)
    {
        Width = width;
        Height = height;
        _rgb = new byte[width * height * 3];
        Array.Fill(_rgb, (byte)255);
    }

    public void Set(int x, int y, (byte R, byte G, byte B) c)
    {
        if ((uint)x >= (uint)Width || (uint)y >= (uint)Height) return;
        int i = (y * Width + x) * 3;
        _rgb[i] = c.R;
        _rgb[i + 1] = c.G;
        _rgb[i + 2] = c.B;
    }

    public void Line(int x0, int y0, int x1, int y1, (byte, byte, byte) c, int thickness = 1)
    {
        int dx = Math.Abs(x1 - x0), sx = x0 < x1 ? 1 : -1, dy = -Math.Abs(y1 - y0), sy = y0 < y1 ? 1 : -1, err = dx + dy;
        while (true)
        {
            for (int t = 0; t < thickness; t++) Set(x0, y0 + t, c);
            if (x0 == x1 && y0 == y1) return;
            int e2 = 2 * err;
            if (e2 >= dy) { err += dy; x0 += sx; }
            if (e2 <= dx) { err += dx; y0 += sy; }
        }
    }

    public void Rect(int x, int y, int w, int h, (byte, byte, byte) c)
    {
        Line(x, y, x + w, y, c);
        Line(x, y + h, x + w, y + h, c);
        Line(x, y, x, y + h, c);
        Line(x + w, y, x + w, y + h, c);
    }

    /// <summary>Draws <paramref name="text"/> (digits, A–Z, a few signs; lowercase drawn as uppercase) scaled by <paramref name="scale"/>.</summary>
    public void Text(int x, int y, string text, (byte, byte, byte) c, int scale = 2)
    {
        foreach (char ch in text.ToUpperInvariant())
        {
            if (PlotFont.Glyph(ch) is { } rows)
            {
                for (int r = 0; r < 5; r++)
                {
                    for (int col = 0; col < 3; col++)
                    {
                        if ((rows[r] >> (2 - col) & 1) == 0) continue;
                        for (int dy = 0; dy < scale; dy++)
                            for (int dx = 0; dx < scale; dx++) Set(x + col * scale + dx, y + r * scale + dy, c);
                    }
                }
            }
            x += 4 * scale;
        }
    }

    public byte[] ToPng() => PlotPng.Encode(Width, Height, _rgb);
}
