using System.Buffers;
using System.Text;

namespace Siem.Collectors.Sources.Internal;

/// <summary>One syslog message cut out of a TCP stream.</summary>
internal readonly record struct SyslogFrame(string Text, int ByteCount, bool Truncated, bool InvalidUtf8);

/// <summary>
/// Splits a syslog TCP byte stream into messages (RFC 6587). Each frame is recognised by its first byte:
/// a digit starts octet counting ("MSG-LEN SP SYSLOG-MSG"), anything else (normally '&lt;') is non-transparent
/// framing ended by LF or NUL. A frame longer than the maximum keeps its first part (truncated) and skips the
/// rest, so a connection never holds more than about one maximum-size message.
/// </summary>
internal sealed class SyslogFrameDecoder : IDisposable
{
    private const int MaxLengthDigits = 9;

    private readonly int _maxMessageBytes;
    private readonly LineSplitter _lines;
    private readonly List<SplitLine> _split = [];
    private State _state = State.FrameStart;
    private int _declaredLength;
    private int _lengthDigits;
    private int _remaining;
    private byte[]? _body;
    private int _bodyLength;

    public SyslogFrameDecoder(int maxMessageBytes)
    {
        _maxMessageBytes = maxMessageBytes;
        _lines = new LineSplitter(maxMessageBytes, nulTerminates: true);
    }

    private enum State
    {
        FrameStart,
        Length,
        CountedBody,
        Delimited,
    }

    public void Push(ReadOnlySpan<byte> data, List<SyslogFrame> output)
    {
        while (!data.IsEmpty)
        {
            switch (_state)
            {
                case State.FrameStart:
                    var b = data[0];
                    if (b is (byte)'\n' or (byte)'\r' or 0 or (byte)' ')
                    {
                        data = data[1..]; // stray terminators between frames carry nothing
                    }
                    else if (b is >= (byte)'1' and <= (byte)'9')
                    {
                        _state = State.Length;
                        _declaredLength = 0;
                        _lengthDigits = 0;
                    }
                    else
                    {
                        _state = State.Delimited;
                    }

                    break;

                case State.Length:
                    var c = data[0];
                    if (c == (byte)' ' && _lengthDigits > 0)
                    {
                        data = data[1..];
                        StartBody();
                    }
                    else if (c is >= (byte)'0' and <= (byte)'9' && _lengthDigits < MaxLengthDigits)
                    {
                        _declaredLength = (_declaredLength * 10) + (c - '0');
                        _lengthDigits++;
                        data = data[1..];
                    }
                    else
                    {
                        // Not octet counting after all ("2024-01-01 ..."): the digits belong to a delimited frame.
                        PushDigitsAsText();
                        _state = State.Delimited;
                    }

                    break;

                case State.CountedBody:
                    var take = Math.Min(_remaining, data.Length);
                    AppendBody(data[..take]);
                    _remaining -= take;
                    data = data[take..];
                    if (_remaining == 0)
                    {
                        EmitBody(output);
                    }

                    break;

                case State.Delimited:
                    var end = data.IndexOfAny((byte)'\n', (byte)0);
                    var piece = end < 0 ? data : data[..(end + 1)];
                    _lines.Push(piece, _split);
                    data = data[piece.Length..];
                    if (_split.Count > 0)
                    {
                        var line = _split[0];
                        _split.Clear();
                        output.Add(new SyslogFrame(line.Text, (int)line.ByteCount, line.Truncated, line.InvalidUtf8));
                        _state = State.FrameStart;
                    }

                    break;
            }
        }
    }

    /// <summary>End of the connection: a delimited frame without its terminator is still a message (RFC 6587 3.4.2).</summary>
    public void Complete(List<SyslogFrame> output)
    {
        if (_state == State.Delimited && _lines.FlushPending(_split))
        {
            var line = _split[0];
            _split.Clear();
            output.Add(new SyslogFrame(line.Text, (int)line.ByteCount, line.Truncated, line.InvalidUtf8));
        }
        else if (_state == State.CountedBody && _bodyLength > 0)
        {
            // The sender promised more bytes than it sent; ship what arrived, marked truncated.
            _remaining = -1;
            EmitBody(output);
        }

        _state = State.FrameStart;
    }

    public void Dispose()
    {
        _lines.Dispose();
        ReturnBody();
    }

    private void PushDigitsAsText()
    {
        Span<byte> digits = stackalloc byte[MaxLengthDigits + 1];
        _declaredLength.TryFormat(digits, out var written, default, System.Globalization.CultureInfo.InvariantCulture);
        _lines.Push(digits[..written], _split);
    }

    private void StartBody()
    {
        _remaining = _declaredLength;
        _bodyLength = 0;
        _body = ArrayPool<byte>.Shared.Rent(Math.Min(_declaredLength, _maxMessageBytes));
        _state = _remaining == 0 ? State.FrameStart : State.CountedBody;
    }

    private void AppendBody(ReadOnlySpan<byte> bytes)
    {
        var room = Math.Min(_declaredLength, _maxMessageBytes) - _bodyLength;
        var keep = bytes[..Math.Min(room, bytes.Length)];
        keep.CopyTo(_body.AsSpan(_bodyLength));
        _bodyLength += keep.Length;
    }

    private void EmitBody(List<SyslogFrame> output)
    {
        var truncated = _remaining != 0 || _declaredLength > _maxMessageBytes;
        var body = _body.AsSpan(0, _bodyLength);

        // Some senders end counted frames with a newline as well.
        while (!body.IsEmpty && body[^1] is (byte)'\n' or (byte)'\r' or 0)
        {
            body = body[..^1];
        }

        var frameBytes = _lengthDigits + 1 + (_remaining < 0 ? _bodyLength : _declaredLength);
        output.Add(new SyslogFrame(Encoding.UTF8.GetString(body), frameBytes, truncated, !System.Text.Unicode.Utf8.IsValid(body)));
        ReturnBody();
        _state = State.FrameStart;
    }

    private void ReturnBody()
    {
        if (_body is not null)
        {
            ArrayPool<byte>.Shared.Return(_body);
            _body = null;
        }

        _bodyLength = 0;
    }
}
