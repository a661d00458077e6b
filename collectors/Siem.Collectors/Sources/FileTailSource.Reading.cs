using Siem.Collectors.Sources.Internal;

namespace Siem.Collectors.Sources;

public sealed partial class FileTailSource
{
    /// <summary>Last error a file read or open ran into (message only; counted in <see cref="SourceStats.Errors"/>).</summary>
    public string? LastError { get; private set; }

    /// <summary>
    /// Reads the next chunk of <paramref name="file"/> into <paramref name="lines"/>. Returns the bytes read, 0 at the
    /// end of the file (after handling truncation and the idle flush of an unterminated last line), -1 when the file
    /// cannot be read any more (it is closed; the next scan opens it again if it is still there).
    /// </summary>
    private async ValueTask<int> ReadChunkAsync(TrackedFile file, byte[] buffer, List<SplitLine> lines, CancellationToken cancellationToken)
    {
        try
        {
            var position = file.Splitter.Position;
            var read = await RandomAccess.ReadAsync(file.Handle, buffer, position, cancellationToken).ConfigureAwait(false);
            if (read > 0)
            {
                file.Splitter.Push(buffer.AsSpan(0, read), lines);
                file.LastGrowth = _time.GetTimestamp();
                return read;
            }

            if (RandomAccess.GetLength(file.Handle) < position)
            {
                // copytruncate or '> file': the writer starts again at 0. Whatever was held of an unterminated
                // line was written before the truncation and is shipped as it is; then read from the start.
                file.Splitter.FlushPending(lines);
                file.Splitter.Reset(0);
                file.LastGrowth = _time.GetTimestamp();
                Stats.AddTruncation();
                return 0;
            }

            if (file.Splitter.HasPending && IdleFor(file) >= _options.PartialLineTimeout)
            {
                file.Splitter.FlushPending(lines);
            }

            return 0;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ObjectDisposedException)
        {
            Stats.AddError();
            LastError = $"reading '{file.Path}' at byte {file.Splitter.Position}: {e.Message}";
            return -1;
        }
    }
}
