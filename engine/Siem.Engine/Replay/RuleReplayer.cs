using NodaTime;
using Siem.Engine.Alerts;
using Siem.Engine.Detection;
using Siem.Engine.Index;
using Siem.Lineage.Shredding;

namespace Siem.Engine.Replay;

/// <summary>
/// Runs rules (detection + correlation, through an <see cref="IDetector"/>) over stored events (the SQLite index or
/// Elasticsearch, an <see cref="IReplaySource"/>), in event-time order, and records the resulting alerts in the index as backfill: <see cref="AlertDocument.Backfill"/>
/// set and the id prefixed with <c>backfill-</c>, so a live alert is never overwritten and a second replay of the same
/// range replaces its own alerts instead of adding copies. Repeats fold exactly as live (same suppression window).
/// With a <see cref="Protector"/>, crypto-shredded PII fields (stored as ciphertext) are decrypted before the rules see
/// them, as they saw them live; a value whose subject key a purge destroyed stays unreadable (the rules see
/// <c>[shredded]</c>) and is counted in <see cref="ReplayResult.FieldsShredded"/>.
/// </summary>
public sealed class RuleReplayer
{
    public const string IdPrefix = "backfill-";
    private const int WriteBatch = 500;

    private readonly IReplaySource _source;
    private readonly IIndexSink _index;
    private readonly IDetector _detector;
    private readonly Duration _window;

    /// <summary>Replays the SQLite index into itself.</summary>
    public RuleReplayer(SqliteIndexSink index, IDetector detector, Duration? suppressionWindow = null)
        : this(new SqliteReplaySource(index), index, detector, suppressionWindow)
    {
    }

    /// <summary>Reads history from <paramref name="source"/> and writes the backfill alerts to <paramref name="index"/>.</summary>
    public RuleReplayer(IReplaySource source, IIndexSink index, IDetector detector, Duration? suppressionWindow = null)
    {
        _source = source ?? throw new ArgumentNullException(nameof(source));
        _index = index ?? throw new ArgumentNullException(nameof(index));
        _detector = detector ?? throw new ArgumentNullException(nameof(detector));
        _window = suppressionWindow ?? Duration.FromMinutes(15);
    }

    /// <summary>The shredding keys of the data dir the events were indexed with; null = fields are read as stored.</summary>
    public FieldProtector? Protector { get; init; }

    /// <summary>Replays [from, to); <paramref name="progress"/> gets (events done, events total) now and then;
    /// <paramref name="alertRecorded"/> gets each alert once, in its final (folded) state.</summary>
    public async Task<ReplayResult> RunAsync(Instant? from, Instant? to, Action<long, long>? progress = null,
        Action<AlertDocument>? alertRecorded = null, CancellationToken cancellationToken = default)
    {
        long total = await _source.CountAsync(from, to, cancellationToken).ConfigureAwait(false);
        var suppressor = new AlertSuppressor(_window);
        // Folded alerts by id, in order of first appearance; written at the end so each is written in its final state.
        var alerts = new Dictionary<string, AlertDocument>(StringComparer.Ordinal);
        var hits = new List<DetectionHit>();
        long done = 0, shredded = 0, unreadable = 0;
        progress?.Invoke(0, total);
        await foreach (var e in _source.ReadAsync(from, to, cancellationToken).ConfigureAwait(false))
        {
            var plain = e;
            if (Protector != null)
            {
                (plain, var counts) = await IndexFieldProtection.RevealAsync(Protector, e, cancellationToken).ConfigureAwait(false);
                shredded += counts.Shredded;
                unreadable += counts.Unreadable;
            }
            hits.Clear();
            _detector.Detect(plain, hits);
            Fold(suppressor, hits, alerts);
            if (++done % 1000 == 0)
            {
                cancellationToken.ThrowIfCancellationRequested();
                progress?.Invoke(done, total);
            }
        }
        hits.Clear();
        _detector.Flush(hits);
        Fold(suppressor, hits, alerts);
        progress?.Invoke(done, total);

        var docs = alerts.Values.ToList();
        for (int i = 0; i < docs.Count; i += WriteBatch)
            await _index.WriteAsync([], docs.GetRange(i, Math.Min(WriteBatch, docs.Count - i)), cancellationToken).ConfigureAwait(false);
        foreach (var d in docs) alertRecorded?.Invoke(d);
        var byRule = docs.GroupBy(d => d.RuleId, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
        return new ReplayResult(done, docs.Count, byRule) { FieldsShredded = shredded, FieldsUnreadable = unreadable };
    }

    private static void Fold(AlertSuppressor suppressor, List<DetectionHit> hits, Dictionary<string, AlertDocument> alerts)
    {
        foreach (var hit in hits)
        {
            var doc = suppressor.Fold(hit, out _);
            if (doc == null) continue;
            var backfill = doc with { AlertId = IdPrefix + doc.AlertId, Backfill = true };
            alerts[backfill.AlertId] = backfill;
        }
    }
}
