namespace Siem.Nats.JetStream;

/// <summary>
/// Conditional writes (compare-and-set on the key's revision) through JetStream's
/// <c>Nats-Expected-Last-Subject-Sequence</c> header: the server stores the message only when the key's latest revision
/// is the expected one (0 = the key has no message at all), so of several writers racing on one key exactly one wins.
/// </summary>
public sealed partial class NatsKVStore
{
    private const string ExpectedLastSubjectSequenceHeader = "Nats-Expected-Last-Subject-Sequence";

    /// <summary>JetStream's err_code for "wrong last sequence".</summary>
    internal const int WrongLastSequence = 10071;

    /// <summary>
    /// Stores a value only when the key has none (never written, deleted, purged, or aged out of a bucket with a TTL);
    /// the new revision, or null when the key has a value.
    /// </summary>
    public async Task<ulong?> TryCreateAsync(string key, ReadOnlyMemory<byte> value, CancellationToken cancellationToken = default)
    {
        ValidateKey(key);
        // A deleted or purged key still has its marker message: create over the marker's revision. Bounded, because
        // each round only repeats when another writer changed the key in between.
        for (int attempt = 0; attempt < 3; attempt++)
        {
            if (await TryUpdateAsync(key, value, 0, cancellationToken).ConfigureAwait(false) is { } created) return created;
            var last = await LastAsync(key, cancellationToken).ConfigureAwait(false);
            if (last is null) continue; // it aged out or was purged away just now
            if (last.Operation == KvOperation.Put) return null;
            if (await TryUpdateAsync(key, value, last.Revision, cancellationToken).ConfigureAwait(false) is { } overMarker) return overMarker;
        }
        return null;
    }

    /// <summary>Stores a value only when the key's latest revision is <paramref name="expectedRevision"/>; the new revision, or null when it is not.</summary>
    public async Task<ulong?> TryUpdateAsync(string key, ReadOnlyMemory<byte> value, ulong expectedRevision, CancellationToken cancellationToken = default)
    {
        ValidateKey(key);
        var headers = new NatsHeaders { [ExpectedLastSubjectSequenceHeader] = expectedRevision.ToString(System.Globalization.CultureInfo.InvariantCulture) };
        try
        {
            var ack = await _js.PublishAsync(_subjectPrefix + key, value, headers, cancellationToken: cancellationToken).ConfigureAwait(false);
            return ack.Seq;
        }
        catch (NatsJSApiException e) when (e.ErrCode == WrongLastSequence)
        {
            return null;
        }
    }

    /// <summary>Marks the key deleted only when its latest revision is <paramref name="expectedRevision"/>; false when it is not.</summary>
    public async Task<bool> TryDeleteAsync(string key, ulong expectedRevision, CancellationToken cancellationToken = default)
    {
        ValidateKey(key);
        var headers = new NatsHeaders
        {
            [OperationHeader] = "DEL",
            [ExpectedLastSubjectSequenceHeader] = expectedRevision.ToString(System.Globalization.CultureInfo.InvariantCulture),
        };
        try
        {
            await _js.PublishAsync(_subjectPrefix + key, ReadOnlyMemory<byte>.Empty, headers, cancellationToken: cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (NatsJSApiException e) when (e.ErrCode == WrongLastSequence)
        {
            return false;
        }
    }

    /// <summary>The key's latest message, delete and purge markers included; null when it has none.</summary>
    private async Task<KvEntry?> LastAsync(string key, CancellationToken cancellationToken)
    {
        var msg = await _js.GetLastMsgForSubjectAsync(StreamName, _subjectPrefix + key, cancellationToken).ConfigureAwait(false);
        return msg is null ? null : new KvEntry(Bucket, key, msg.Data, msg.Seq, msg.Time, Operation(msg.Headers));
    }
}
