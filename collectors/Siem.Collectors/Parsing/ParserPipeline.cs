using NodaTime;
using Siem.Collectors.Sources;
using Siem.Core.Events;

namespace Siem.Collectors.Parsing;

/// <summary>
/// Turns raw lines into events. Format per line: JSON when it starts with <c>{</c>, auditd when it starts with
/// <c>type=</c> (or <c>node=... type=</c>), syslog otherwise. Never throws on bad input and never drops a non-blank
/// line: what no parser understands becomes an event with the whole line in <c>message</c> and the tag
/// <see cref="EcsFields.ParseFailureTag"/>.
/// </summary>
/// <remarks>
/// Events per line: a blank (empty or whitespace-only) line gives none. An auditd record is held in its stream's
/// pending group (<see cref="OldestPendingOffset"/> reports it) and comes out as part of one event when a record with
/// another serial, an EOE record, <see cref="ParserOptions.MaxAuditGroupRecords"/> or <see cref="Flush"/> closes the
/// group. Every other non-blank line gives at least one event at once. Stateful, not thread-safe: one per reader.
/// </remarks>
public sealed partial class ParserPipeline
{
    private readonly ParserOptions _options;
    private readonly SyslogTime _time;
    private readonly AuditdGrouper _auditd;

    public ParserPipeline(ParserOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        _time = new SyslogTime(options.TimeZone, options.Clock);
        _auditd = new AuditdGrouper(this);
    }

    /// <summary>Appends the events made from <paramref name="line"/> (0..N) to <paramref name="output"/>.</summary>
    public void Parse(in RawLine line, List<LogEvent> output)
    {
        ArgumentNullException.ThrowIfNull(output);
        string text = line.Text ?? "";
        if (string.IsNullOrWhiteSpace(text))
        {
            return;
        }
        int before = output.Count;
        try
        {
            ParseCore(line, text, output);
        }
#pragma warning disable CA1031 // The contract is "never throw, never drop": a parser bug must cost one event's fields, not the line.
        catch (Exception ex) when (ex is not OutOfMemoryException)
#pragma warning restore CA1031
        {
            output.RemoveRange(before, output.Count - before);
            var failed = Failure(line, text);
            failed.Set("error.message", $"parser error: {ex.GetType().Name}: {ex.Message}");
            output.Add(failed);
        }
    }

    /// <summary>Emits everything held back (incomplete auditd groups) — call on shutdown or when the source is idle.</summary>
    public void Flush(List<LogEvent> output)
    {
        ArgumentNullException.ThrowIfNull(output);
        _auditd.FlushAll(output);
    }

    /// <summary>Offset of the first line still held back for <paramref name="sourceKey"/>; delivery must not commit past it.</summary>
    public long? OldestPendingOffset(string sourceKey) => _auditd.OldestPendingOffset(sourceKey);

    private void ParseCore(in RawLine line, string text, List<LogEvent> output)
    {
        int start = 0;
        while (start < text.Length && (text[start] == ' ' || text[start] == '\t' || text[start] == '\uFEFF'))
        {
            start++;
        }
        char first = text[start];
        if (first == '{')
        {
            output.Add(JsonLineParser.Parse(this, line, text));
            return;
        }
        if (AuditdRecord.LooksLikeAuditd(text.AsSpan(start)))
        {
            _auditd.Add(line, text, output);
            return;
        }
        ParseSyslog(line, text, output);
    }

    private void ParseSyslog(in RawLine line, string text, List<LogEvent> output)
    {
        var e = NewEvent(line, text, 0);
        if (!SyslogParser.TryParse(text, _time, _options.HostName, e, out var header))
        {
            var web = NewEvent(line, text, 0);
            if (AccessLogParser.TryParse(text, web))
            {
                // A web server's own access log file: no syslog header, the host is the one the agent runs on.
                web.Set(EcsFields.Message, text);
                web.Set(EcsFields.HostName, _options.HostName);
                output.Add(web);
                return;
            }
            output.Add(Failure(line, text));
            return;
        }
        e.Timestamp = header.Timestamp;
        e.Set(EcsFields.EventKind, "event");
        var message = text.AsSpan(header.MessageStart);
        // The whole line: a code right after the host is read as the program tag (sw2 %LINK-3-UPDOWN: ...).
        CiscoMessageCode.Mark(text, e);

        // rsyslog's "message repeated N times: [ msg]" stands for N identical lines: N events, ids by sub-index.
        if (message.StartsWith("message repeated ") && TryRepeat(message, out int count, out var inner))
        {
            e.Set(EcsFields.Message, inner.ToString());
            ParseProgram(header.Program, inner, e);
            if (count > _options.MaxRepeatExpansion)
            {
                e.Set("log.syslog.repeat_count", count.ToString(System.Globalization.CultureInfo.InvariantCulture));
                e.Add(EcsFields.Tags, "_repeat_not_expanded");
                output.Add(e);
                return;
            }
            output.Add(e);
            for (int i = 1; i < count; i++)
            {
                var copy = NewEvent(line, text, i);
                copy.Timestamp = e.Timestamp;
                foreach (var (k, v) in e.Fields)
                {
                    copy.Fields[k] = v;
                }
                output.Add(copy);
            }
            return;
        }
        ParseProgram(header.Program, message, e);
        output.Add(e);
    }

    private static void ParseProgram(string? program, ReadOnlySpan<char> message, LogEvent e) =>
        ProgramParsers.TryParseInto(program, message, e);

    private static bool TryRepeat(ReadOnlySpan<char> m, out int count, out ReadOnlySpan<char> inner)
    {
        inner = default;
        count = 0;
        var rest = m[17..];
        int space = rest.IndexOf(' ');
        if (space <= 0 || space > 9 || !SyslogTime.Digits(rest[..space], out count) || count < 1 || !rest[space..].StartsWith(" times: [") || !rest.EndsWith("]"))
        {
            return false;
        }
        inner = rest[(space + 9)..^1].Trim(' ');
        return true;
    }

    internal LogEvent NewEvent(in RawLine line, string original, int subIndex)
    {
        var e = new LogEvent
        {
            RecordId = RecordIds.For(_options.AgentId, line.SourceKey ?? "", line.Offset, subIndex),
            AgentId = _options.AgentId,
            Original = original,
            Timestamp = _time.Now,
        };
        // A parsed auth line carries 12-20 fields (sshd 16-18 with log.file.path and log.offset): size once. 16 gave 17 slots,
        // so every 18-field sshd event grew the dictionary to 37 (siem bench agent's parse: 1780 -> 1403 bytes per line).
        e.Fields.EnsureCapacity(20);
        if (line.Module is not null)
        {
            // Set first: a parser that recognises the record's own kind (auditd, a Cisco message code, a JSON field) overrides it.
            e.Set(EcsFields.EventModule, line.Module);
        }
        if (line.Path is not null)
        {
            e.Set(EcsFields.LogFilePath, line.Path);
            // The byte offset of the line in its file: the lineage ledger's source hop names file and offset.
            e.Set(EcsFields.LogOffset, line.Offset.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }
        if (line.Truncated)
        {
            e.Add(EcsFields.Tags, EcsFields.TruncatedTag);
        }
        if (line.InvalidUtf8)
        {
            e.Add(EcsFields.Tags, EcsFields.InvalidUtf8Tag);
        }
        return e;
    }

    /// <summary>The line kept whole, tagged so an analyst can find what no parser understood.</summary>
    internal LogEvent Failure(in RawLine line, string text)
    {
        var e = NewEvent(line, text, 0);
        e.Set(EcsFields.Message, text);
        e.Set(EcsFields.HostName, _options.HostName);
        e.Add(EcsFields.Tags, EcsFields.ParseFailureTag);
        // IOS with sequence numbers or '*' times has no header we parse, yet its message code says what it is.
        CiscoMessageCode.Mark(text, e);
        return e;
    }

    internal ParserOptions Options => _options;

    internal SyslogTime Time => _time;
}
