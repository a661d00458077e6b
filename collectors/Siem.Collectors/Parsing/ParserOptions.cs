using NodaTime;

namespace Siem.Collectors.Parsing;

/// <summary>How <see cref="ParserPipeline"/> turns lines into events.</summary>
public sealed record ParserOptions
{
    /// <summary>Agent id put on every event and mixed into record ids.</summary>
    public string AgentId { get; init; } = "";

    /// <summary><c>host.name</c> for lines that do not name their host (auditd, syslog without a host). Default: the machine name.</summary>
    public string HostName { get; init; } = Environment.MachineName;

    /// <summary>Zone of timestamps that carry no offset (RFC 3164, auth.log). Default: the system zone (UTC if it is unknown).</summary>
    public DateTimeZone TimeZone { get; init; } = SystemZone();

    /// <summary>Gives the year to year-less timestamps and the time of events whose line has none.</summary>
    public IClock Clock { get; init; } = SystemClock.Instance;

    /// <summary>Deeper JSON documents are not flattened: the line is kept with the parse-failure tag.</summary>
    public int MaxJsonDepth { get; init; } = 64;

    /// <summary>
    /// "message repeated N times" expands into N events up to this count; a larger N gives one event carrying
    /// <c>log.syslog.repeat_count</c> so a hostile line cannot make millions of events.
    /// </summary>
    public int MaxRepeatExpansion { get; init; } = 1000;

    /// <summary>An auditd group with this many records is emitted even without EOE (bounds memory on a flood of one serial).</summary>
    public int MaxAuditGroupRecords { get; init; } = 256;

    public static ParserOptions Default { get; } = new();

    private static DateTimeZone SystemZone()
    {
        try
        {
            return DateTimeZoneProviders.Tzdb.GetSystemDefault();
        }
        catch (NodaTime.TimeZones.DateTimeZoneNotFoundException)
        {
            return DateTimeZone.Utc;
        }
    }
}
