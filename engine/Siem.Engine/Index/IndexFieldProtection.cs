using Siem.Core.Events;
using Siem.Engine.Search;
using Siem.Lineage.Shredding;

namespace Siem.Engine.Index;

/// <summary>
/// Crypto-shredding as every index sink applies it (SQLite and Elasticsearch): events are stored as copies with the
/// protected PII fields sealed under their subject's data key plus a blind index; exact searches on those fields are
/// rewritten to the blind index; hits show the plaintext while the key exists and <see cref="ShreddedMarker"/> once a
/// purge destroyed it.
/// </summary>
internal static class IndexFieldProtection
{
    /// <summary>What a protected field reads as in search results once its subject's key was destroyed.</summary>
    public const string ShreddedMarker = "[shredded]";

    /// <summary>What a protected field reads as when its ciphertext does not decrypt (tampered or damaged).</summary>
    public const string UnreadableMarker = "[unreadable]";

    /// <summary>The events as they are stored: copies with the protected fields sealed (the caller's events stay
    /// plaintext: rules ran on them, and lineage pseudonymizes their values after the write).</summary>
    public static async Task<IReadOnlyList<LogEvent>> ProtectAsync(FieldProtector? protector, IReadOnlyList<LogEvent> events, CancellationToken cancellationToken)
    {
        if (protector == null) return events;
        var stored = new List<LogEvent>(events.Count);
        foreach (var e in events)
        {
            if (!protector.Fields.Any(e.Fields.ContainsKey))
            {
                stored.Add(e);
                continue;
            }
            var copy = new LogEvent { RecordId = e.RecordId, AgentId = e.AgentId, Timestamp = e.Timestamp, Original = e.Original };
            foreach (var kv in e.Fields) copy.Fields[kv.Key] = kv.Value;
            // The text first (it needs the plaintext values), then the fields.
            string original = await protector.SealTextAsync(copy, cancellationToken).ConfigureAwait(false);
            await protector.ProtectAsync(copy, cancellationToken).ConfigureAwait(false);
            stored.Add(ReferenceEquals(original, copy.Original) ? copy : WithOriginal(copy, original));
        }
        return stored;
    }

    /// <summary>The request with exact terms on protected fields turned into blind index lookups.</summary>
    public static SearchRequest WithBlindIndex(FieldProtector? protector, SearchRequest request) =>
        protector != null ? request with { Query = BlindIndexRewriter.Rewrite(request.Query, protector) } : request;

    /// <summary>Replaces the ciphertext of protected fields in event hits by the plaintext, or a marker when shredded,
    /// restores sealed free text, and drops the blind index fields (they mean nothing to a reader).</summary>
    public static async Task<IReadOnlyList<SearchHit>> RevealAsync(FieldProtector? protector, IReadOnlyList<SearchHit> hits, CancellationToken cancellationToken)
    {
        if (protector == null) return hits;
        var revealed = new List<SearchHit>(hits.Count);
        foreach (var hit in hits)
        {
            if (hit.Event is not { } e)
            {
                revealed.Add(hit);
                continue;
            }
            var (plain, _) = await RevealAsync(protector, e, cancellationToken).ConfigureAwait(false);
            revealed.Add(ReferenceEquals(plain, e) ? hit : hit with { Event = plain });
        }
        return revealed;
    }

    /// <summary>One stored event made readable (search hits, rule replay): fields in place, plaintext where the subject's
    /// key exists, <see cref="ShreddedMarker"/> where a purge destroyed it, <see cref="UnreadableMarker"/> where the
    /// ciphertext does not decrypt; the blind index fields are dropped. Sealed free text comes back as read while every
    /// key it was sealed under exists (the event returned is then a copy with that original line); otherwise the stored
    /// text stays, with the subjects' values as <c>[field]</c>.</summary>
    public static async Task<(LogEvent Event, RevealCounts Counts)> RevealAsync(FieldProtector protector, LogEvent e, CancellationToken cancellationToken)
    {
        var counts = await RevealFieldsAsync(protector, e, cancellationToken).ConfigureAwait(false);
        if (!e.Fields.Remove(FieldProtector.SealedTextField, out var sealedText) || sealedText is not string text) return (e, counts);
        (string Original, string? Message)? plain;
        try
        {
            plain = await protector.RevealTextAsync(text, cancellationToken).ConfigureAwait(false);
        }
        catch (FormatException)
        {
            return (e, counts with { Unreadable = counts.Unreadable + 1 });
        }
        if (plain is not { } p) return (e, counts); // shredded: counted with the fields whose keys it needs
        if (p.Message != null) e.Fields[Siem.Core.Events.EcsFields.Message] = p.Message;
        return (WithOriginal(e, p.Original), counts);
    }

    private static LogEvent WithOriginal(LogEvent e, string original)
    {
        var copy = new LogEvent { RecordId = e.RecordId, AgentId = e.AgentId, Timestamp = e.Timestamp, Original = original };
        foreach (var kv in e.Fields) copy.Fields[kv.Key] = kv.Value;
        return copy;
    }

    private static async Task<RevealCounts> RevealFieldsAsync(FieldProtector protector, LogEvent e, CancellationToken cancellationToken)
    {
        var counts = default(RevealCounts);
        foreach (var field in protector.Fields)
        {
            e.Fields.Remove(field + FieldProtector.BlindIndexSuffix);
            if (!e.Fields.TryGetValue(field, out var raw)) continue;
            if (raw is string s) e.Fields[field] = Count(ref counts, await RevealOneAsync(protector, field, s, cancellationToken).ConfigureAwait(false));
            else if (raw is string[] values)
            {
                var plain = new string[values.Length];
                for (int i = 0; i < values.Length; i++) plain[i] = Count(ref counts, await RevealOneAsync(protector, field, values[i], cancellationToken).ConfigureAwait(false));
                e.Fields[field] = plain;
            }
        }
        return counts;
    }

    private static string Count(ref RevealCounts counts, string revealed)
    {
        if (ReferenceEquals(revealed, ShreddedMarker)) counts = counts with { Shredded = counts.Shredded + 1 };
        else if (ReferenceEquals(revealed, UnreadableMarker)) counts = counts with { Unreadable = counts.Unreadable + 1 };
        return revealed;
    }

    private static async Task<string> RevealOneAsync(FieldProtector protector, string field, string value, CancellationToken cancellationToken)
    {
        if (!FieldProtector.IsProtected(value)) return value; // indexed before protection was enabled
        try
        {
            return await protector.RevealAsync(field, value, cancellationToken).ConfigureAwait(false) ?? ShreddedMarker;
        }
        catch (FormatException)
        {
            return UnreadableMarker;
        }
    }
}
