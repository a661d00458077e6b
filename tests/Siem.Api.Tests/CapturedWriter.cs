using System.Text;

namespace Siem.Api.Tests;

/// <summary>A TextWriter the code under test writes to from several threads while the test reads what it wrote.</summary>
internal sealed class CapturedWriter : TextWriter
{
    private readonly StringBuilder _text = new();

    public override Encoding Encoding => Encoding.UTF8;

    public override void Write(char value)
    {
        lock (_text) _text.Append(value);
    }

    public override void Write(string? value)
    {
        lock (_text) _text.Append(value);
    }

    public override void WriteLine(string? value)
    {
        lock (_text) _text.Append(value).Append('\n');
    }

    public override string ToString()
    {
        lock (_text) return _text.ToString();
    }
}
