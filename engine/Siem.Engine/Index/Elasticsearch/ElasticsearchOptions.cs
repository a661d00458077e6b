namespace Siem.Engine.Index.Elasticsearch;

/// <summary>Where and how <see cref="ElasticsearchIndexSink"/> writes. Credentials are sent as a header and never logged.</summary>
public sealed record ElasticsearchOptions
{
    /// <summary>Base URL of the cluster, e.g. http://127.0.0.1:9200 (credentials in the URL are refused).</summary>
    public required Uri Url { get; init; }
    /// <summary>Basic auth; used when <see cref="ApiKey"/> is not set.</summary>
    public string? Username { get; init; }
    public string? Password { get; init; }
    /// <summary>Elasticsearch API key (the base64 "id:key" form), sent as <c>Authorization: ApiKey ...</c>.</summary>
    public string? ApiKey { get; init; }
    /// <summary>Events go to daily indices <c>&lt;prefix&gt;-YYYY.MM.DD</c> (UTC day of the event time).</summary>
    public string EventIndexPrefix { get; init; } = "siem-events";
    public string AlertIndex { get; init; } = "siem-alerts";
    /// <summary>
    /// Retries of a bulk request refused as a whole (429, 5xx, connection failure) or of its 429/5xx items.
    /// The default retries until cancelled: the pipeline does not ack meanwhile, so JetStream holds the data
    /// and memory stays bounded (backpressure). A finite value makes WriteAsync throw afterwards (the pipeline naks).
    /// </summary>
    public int MaxRetries { get; init; } = int.MaxValue;
    public TimeSpan BaseDelay { get; init; } = TimeSpan.FromMilliseconds(200);
    public TimeSpan MaxDelay { get; init; } = TimeSpan.FromSeconds(30);
    /// <summary>JSON-lines file (mode 0600) for documents the cluster refused (4xx items): reason plus document. Null = counted and logged only.</summary>
    public string? DeadLetterPath { get; init; }
    /// <summary>Diagnostics (never credentials); null = quiet.</summary>
    public TextWriter? Log { get; init; }
}
