using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Polly;
using Polly.Retry;
using Siem.Core.Events;
using Siem.Engine.Alerts;

namespace Siem.Engine.Index.Elasticsearch;

/// <summary>
/// Elasticsearch/OpenSearch index over the REST API (HttpClient + System.Text.Json; no client package exists here).
/// On first write it puts the index templates, then writes each batch with <c>_bulk</c> (NDJSON <c>index</c> actions,
/// <c>_id</c> = record id or alert id, so a redelivered batch overwrites instead of duplicating). Per item: 2xx done;
/// 429/5xx retried with exponential backoff (Polly); any other 4xx (mapper_parsing_exception, ...) is dead-lettered
/// with the reason and not retried, since resending the same document cannot succeed. A request refused as a whole
/// (429, 5xx, connection failure) is retried the same way, so <see cref="WriteAsync"/> returns only when every document
/// is written or dead-lettered; until then the pipeline does not ack and JetStream holds the data (backpressure).
/// Uses only endpoints OpenSearch shares (no data streams).
/// </summary>
public sealed partial class ElasticsearchIndexSink : IIndexSink
{
    private readonly HttpClient _http;
    private readonly bool _ownsHttp;
    private readonly ElasticsearchOptions _options;
    private readonly AuthenticationHeaderValue? _auth;
    private readonly ResiliencePipeline _retry;
    private readonly SemaphoreSlim _templateLock = new(1, 1);
    private readonly SemaphoreSlim _deadLetterLock = new(1, 1);
    private volatile bool _templatesReady;
    private long _written, _deadLettered, _retries;

    public ElasticsearchIndexSink(ElasticsearchOptions options, HttpClient? http = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (!string.IsNullOrEmpty(options.Url.UserInfo))
            throw new ArgumentException("Elasticsearch URL must not carry credentials; set Username/Password or ApiKey (SIEM_ES_USERNAME/SIEM_ES_PASSWORD/SIEM_ES_API_KEY).", nameof(options));
        _options = options;
        _ownsHttp = http == null;
        _http = http ?? new HttpClient { Timeout = TimeSpan.FromSeconds(60) };
        if (!string.IsNullOrEmpty(options.ApiKey)) _auth = new AuthenticationHeaderValue("ApiKey", options.ApiKey);
        else if (!string.IsNullOrEmpty(options.Username))
            _auth = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{options.Username}:{options.Password}")));
        _retry = new ResiliencePipelineBuilder()
            .AddRetry(new RetryStrategyOptions
            {
                ShouldHandle = new PredicateBuilder().Handle<ElasticsearchException>(e => e.Transient),
                MaxRetryAttempts = options.MaxRetries,
                Delay = options.BaseDelay,
                MaxDelay = options.MaxDelay,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                OnRetry = args =>
                {
                    Interlocked.Increment(ref _retries);
                    Log($"retry {args.AttemptNumber + 1} in {args.RetryDelay.TotalMilliseconds:0} ms: {args.Outcome.Exception?.Message}");
                    return default;
                },
            })
            .Build();
    }

    /// <summary>Documents confirmed written (events and alerts).</summary>
    public long Written => Interlocked.Read(ref _written);
    /// <summary>Documents the cluster refused for good (4xx items), written to the dead-letter file.</summary>
    public long DeadLettered => Interlocked.Read(ref _deadLettered);
    /// <summary>Retries of whole requests or of 429/5xx items.</summary>
    public long Retries => Interlocked.Read(ref _retries);

    /// <summary>Puts the index templates (idempotent); <see cref="WriteAsync"/> does this once on its own.</summary>
    public async Task EnsureTemplatesAsync(CancellationToken cancellationToken = default)
    {
        if (_templatesReady) return;
        await _templateLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_templatesReady) return;
            await _retry.ExecuteAsync(async ct =>
            {
                await SendJsonAsync(HttpMethod.Put, "_index_template/" + _options.EventIndexPrefix, ElasticsearchTemplates.Events(_options.EventIndexPrefix), ct).ConfigureAwait(false);
                await SendJsonAsync(HttpMethod.Put, "_index_template/" + _options.AlertIndex, ElasticsearchTemplates.Alerts(_options.AlertIndex), ct).ConfigureAwait(false);
            }, cancellationToken).ConfigureAwait(false);
            _templatesReady = true;
        }
        finally
        {
            _templateLock.Release();
        }
    }

    public async Task WriteAsync(IReadOnlyList<LogEvent> events, IReadOnlyList<AlertDocument> alerts, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(events);
        ArgumentNullException.ThrowIfNull(alerts);
        if (events.Count == 0 && alerts.Count == 0) return;
        await EnsureTemplatesAsync(cancellationToken).ConfigureAwait(false);
        var pending = BuildItems(await IndexFieldProtection.ProtectAsync(_protector, events, cancellationToken).ConfigureAwait(false), alerts);
        await _retry.ExecuteAsync(async ct =>
        {
            pending = await BulkOnceAsync(pending, ct).ConfigureAwait(false);
            if (pending.Count > 0)
                throw new ElasticsearchException($"_bulk: {pending.Count} item(s) refused for now ({pending[0].LastError})", transient: true, 429);
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Makes recent writes visible to search (<c>_refresh</c>).</summary>
    public Task RefreshAsync(CancellationToken cancellationToken = default) =>
        SendJsonAsync(HttpMethod.Post, $"{AllIndices}/_refresh?ignore_unavailable=true&allow_no_indices=true", null, cancellationToken);

    public ValueTask DisposeAsync()
    {
        if (_ownsHttp) _http.Dispose();
        _ownedKeys?.Dispose();
        return default;
    }

    private string AllIndices => $"{_options.EventIndexPrefix}-*,{_options.AlertIndex}";

    private void Log(string message) => _options.Log?.WriteLine($"elasticsearch: {message}");

    /// <summary>Sends a request; returns the body of a 2xx answer, throws <see cref="ElasticsearchException"/> otherwise.
    /// Messages name the method and path, never the Authorization header.</summary>
    private async Task<byte[]> SendAsync(HttpMethod method, string pathAndQuery, HttpContent? content, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(method, new Uri(_options.Url, pathAndQuery)) { Content = content };
        request.Headers.Authorization = _auth;
        HttpResponseMessage response;
        try
        {
            response = await _http.SendAsync(request, cancellationToken).ConfigureAwait(false);
        }
        catch (HttpRequestException ex)
        {
            throw new ElasticsearchException($"{method} /{Path(pathAndQuery)}: {ex.HttpRequestError}: {ex.Message}", transient: true, inner: ex);
        }
        catch (TaskCanceledException ex) when (!cancellationToken.IsCancellationRequested)
        {
            throw new ElasticsearchException($"{method} /{Path(pathAndQuery)}: timed out after {_http.Timeout.TotalSeconds:0} s", transient: true, inner: ex);
        }
        using (response)
        {
            var body = await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
            if (response.IsSuccessStatusCode) return body;
            int code = (int)response.StatusCode;
            bool transient = IsTransient(code);
            string text = Encoding.UTF8.GetString(body, 0, Math.Min(body.Length, 300)).ReplaceLineEndings(" ");
            string hint = response.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden ? " (check SIEM_ES_USERNAME/SIEM_ES_PASSWORD or SIEM_ES_API_KEY)" : "";
            throw new ElasticsearchException($"{method} /{Path(pathAndQuery)}: HTTP {code}{hint}: {text}", transient, code);
        }
    }

    private Task<byte[]> SendJsonAsync(HttpMethod method, string pathAndQuery, string? json, CancellationToken cancellationToken)
    {
        HttpContent? content = null;
        if (json != null)
        {
            content = new StringContent(json, Encoding.UTF8);
            content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        }
        return SendAsync(method, pathAndQuery, content, cancellationToken);
    }

    internal static bool IsTransient(int status) => status is 429 or 408 || status >= 500;

    private static string Path(string pathAndQuery) => pathAndQuery.Split('?')[0];
}
