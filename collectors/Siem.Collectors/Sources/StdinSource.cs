using System.Runtime.CompilerServices;
using Siem.Collectors.Sources.Internal;

namespace Siem.Collectors.Sources;

/// <summary>
/// Reads lines from a stream (standard input by default) until it ends; an unterminated last line is shipped at the end.
/// Commit is a no-op: a pipe cannot be read again. Offsets are a sequence starting at the start time in
/// milliseconds × 2^20, so record ids stay unique across runs.
/// </summary>
public sealed class StdinSource : ILogSource
{
    private readonly Stream _input;
    private readonly bool _ownsInput;
    private readonly int _maxLineBytes;
    private readonly long _sequenceBase = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() << 20;

    /// <param name="input">The stream to read; null = standard input.</param>
    /// <param name="maxLineBytes">Longest line kept (default 1 MiB); longer ones are truncated and flagged.</param>
    public StdinSource(Stream? input = null, int maxLineBytes = 1024 * 1024)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxLineBytes, 1);
        _ownsInput = input is null;
        _input = input ?? Console.OpenStandardInput();
        _maxLineBytes = maxLineBytes;
        Stats = new SourceStats(Name);
    }

    public string Name => "stdin";

    public SourceStats Stats { get; }

    public async IAsyncEnumerable<RawLine> ReadAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        using var splitter = new LineSplitter(_maxLineBytes);
        var lines = new List<SplitLine>();
        var buffer = new byte[64 * 1024];
        var index = 0L;
        var ended = false;
        while (!ended)
        {
            var read = await _input.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
            if (read > 0)
            {
                splitter.Push(buffer.AsSpan(0, read), lines);
            }
            else
            {
                splitter.FlushPending(lines);
                ended = true;
            }

            foreach (var line in lines)
            {
                var offset = _sequenceBase + index++;
                Stats.AddLine(line.ByteCount, line.Truncated, line.InvalidUtf8);
                yield return new RawLine("stdin", "stdin", offset, offset + 1, line.Text)
                {
                    Truncated = line.Truncated,
                    InvalidUtf8 = line.InvalidUtf8,
                };
            }

            lines.Clear();
        }
    }

    /// <summary>No-op: standard input cannot be read again.</summary>
    public ValueTask CommitAsync(RawLine upTo, CancellationToken cancellationToken = default) => ValueTask.CompletedTask;

    public async ValueTask DisposeAsync()
    {
        if (_ownsInput)
        {
            await _input.DisposeAsync().ConfigureAwait(false);
        }
    }
}
