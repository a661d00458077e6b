using System.Diagnostics;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using Siem.Collectors.Sources.Internal;

namespace Siem.Collectors.Sources;

/// <summary>
/// Follows the systemd journal through <c>journalctl -o json -f</c> (one JSON object per line, each with its
/// <c>__CURSOR</c>). The first start ships entries from now on (<c>--since=now</c>); after that it resumes with
/// <c>--after-cursor=</c> the last committed cursor, so uncommitted entries are shipped again after a crash.
/// If journalctl exits it is started again after the last entry already read. Offsets are the journal's sequence
/// number (the cursor's <c>i=</c> field), so an entry read twice gets the same record id.
/// </summary>
public sealed partial class JournaldSource : ILogSource
{
    private const int StderrLinesKept = 5;

    private readonly JournaldOptions _options;
    private readonly SemaphoreSlim _commitGate = new(1, 1);
    private readonly CancellationTokenSource _stopping = new();
    private readonly long _sequenceBase = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() << 20;
    private long _sequence;
    private Process? _process;
    private string? _committedCursor;

    public JournaldSource(JournaldOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        Name = "journald";
        Stats = new SourceStats(Name);
    }

    public string Name { get; }

    public SourceStats Stats { get; }

    /// <summary>Last error: journalctl's exit code and the end of its stderr, or an entry without a cursor.</summary>
    public string? LastError { get; private set; }

    public async IAsyncEnumerable<RawLine> ReadAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var cursor = LoadCursor();
        _committedCursor = cursor;
        var buffer = new byte[64 * 1024];
        var lines = new List<SplitLine>();
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _stopping.Token);
        var token = linked.Token;
        while (!_stopping.IsCancellationRequested)
        {
            using var splitter = new LineSplitter(_options.MaxLineBytes);
            var stderr = new Queue<string>();
            var process = StartJournalctl(cursor, stderr);
            var disposed = false;
            try
            {
                var stdout = process.StandardOutput.BaseStream;
                int read;
                while ((read = await ReadOrStopAsync(stdout, buffer, token).ConfigureAwait(false)) > 0)
                {
                    splitter.Push(buffer.AsSpan(0, read), lines);
                    foreach (var line in lines)
                    {
                        var raw = ToRawLine(line);
                        cursor = raw.Cursor ?? cursor;
                        yield return raw;
                    }

                    lines.Clear();
                }

                disposed = _stopping.IsCancellationRequested;
                if (!disposed)
                {
                    await process.WaitForExitAsync(token).ConfigureAwait(false);
                    ReportExit(process, stderr);
                }
            }
            finally
            {
                Stop(process);
            }

            if (disposed)
            {
                yield break;
            }

            try
            {
                await Task.Delay(_options.RestartDelay, token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
            {
                yield break;
            }
        }
    }

    public async ValueTask CommitAsync(RawLine upTo, CancellationToken cancellationToken = default)
    {
        if (upTo.Cursor is null)
        {
            return; // an entry whose cursor we could not read: the previous cursor stays, the entry may come again
        }

        await _commitGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (string.Equals(upTo.Cursor, _committedCursor, StringComparison.Ordinal))
            {
                return;
            }

            var directory = Path.GetDirectoryName(Path.GetFullPath(_options.CursorPath));
            if (directory is not null)
            {
                Directory.CreateDirectory(directory);
            }

            await AtomicFile.WriteAsync(_options.CursorPath, Encoding.UTF8.GetBytes(upTo.Cursor), cancellationToken).ConfigureAwait(false);
            _committedCursor = upTo.Cursor;
        }
        finally
        {
            _commitGate.Release();
        }
    }

    public ValueTask DisposeAsync()
    {
        _stopping.Cancel();
        if (_process is { } process)
        {
            Stop(process);
        }

        _commitGate.Dispose();
        return ValueTask.CompletedTask;
    }

    /// <summary>The journal's sequence number from a cursor ("s=…;i=1a2b;b=…"), or -1.</summary>
    internal static long SequenceNumber(string cursor)
    {
        foreach (var part in cursor.Split(';'))
        {
            if (part.StartsWith("i=", StringComparison.Ordinal)
                && long.TryParse(part.AsSpan(2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var value)
                && value >= 0)
            {
                return value;
            }
        }

        return -1;
    }

    private RawLine ToRawLine(SplitLine line)
    {
        string? cursor = null;
        if (!line.Truncated)
        {
            try
            {
                using var doc = JsonDocument.Parse(line.Text);
                if (doc.RootElement.ValueKind == JsonValueKind.Object
                    && doc.RootElement.TryGetProperty("__CURSOR", out var value)
                    && value.ValueKind == JsonValueKind.String)
                {
                    cursor = value.GetString();
                }
            }
            catch (JsonException)
            {
                // reported below
            }
        }

        if (cursor is null)
        {
            Stats.AddError();
            LastError = $"journal entry without a readable __CURSOR ({(line.Truncated ? "longer than MaxLineBytes" : "not a JSON object")}); it is shipped, but a restart may ship it again";
        }

        var offset = cursor is null ? -1 : SequenceNumber(cursor);
        if (offset < 0)
        {
            offset = _sequenceBase + Interlocked.Increment(ref _sequence);
        }

        Stats.AddLine(line.ByteCount, line.Truncated, line.InvalidUtf8);
        return new RawLine("journald", "journald", offset, offset + 1, line.Text)
        {
            Cursor = cursor,
            Truncated = line.Truncated,
            InvalidUtf8 = line.InvalidUtf8,
        };
    }

    private string? LoadCursor()
    {
        try
        {
            var text = File.ReadAllText(_options.CursorPath).Trim();
            return text.Length == 0 ? null : text;
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }
    }


}
