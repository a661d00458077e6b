using System.Runtime.CompilerServices;
using Siem.Nats.JetStream.Internal;

namespace Siem.Nats.JetStream;

/// <summary>
/// A key-value bucket on JetStream. A put is a publish to <c>$KV.&lt;bucket&gt;.&lt;key&gt;</c> (its revision is the
/// stream sequence); a delete or purge is a marker message with a <c>KV-Operation</c> header; a get reads the last
/// message of the key's subject.
/// </summary>
public sealed partial class NatsKVStore
{
    internal const string StreamPrefix = "KV_";
    private const string OperationHeader = "KV-Operation";
    private readonly NatsJSContext _js;
    private readonly string _subjectPrefix;

    internal NatsKVStore(NatsJSContext js, string bucket)
    {
        _js = js;
        Bucket = bucket;
        _subjectPrefix = $"$KV.{bucket}.";
    }

    public string Bucket { get; }
    public string StreamName => StreamPrefix + Bucket;

    /// <summary>Stores a value; returns its revision.</summary>
    public async Task<ulong> PutAsync(string key, ReadOnlyMemory<byte> value, CancellationToken cancellationToken = default)
    {
        ValidateKey(key);
        var ack = await _js.PublishAsync(_subjectPrefix + key, value, cancellationToken: cancellationToken).ConfigureAwait(false);
        return ack.Seq;
    }

    /// <summary>The current value, or null when the key never existed or was deleted/purged.</summary>
    public async Task<KvEntry?> GetAsync(string key, CancellationToken cancellationToken = default)
    {
        ValidateKey(key);
        var msg = await _js.GetLastMsgForSubjectAsync(StreamName, _subjectPrefix + key, cancellationToken).ConfigureAwait(false);
        if (msg is null) return null;
        var op = Operation(msg.Headers);
        return op == KvOperation.Put ? new KvEntry(Bucket, key, msg.Data, msg.Seq, msg.Time, op) : null;
    }

    /// <summary>Marks the key deleted (history stays until it ages out).</summary>
    public async Task DeleteAsync(string key, CancellationToken cancellationToken = default)
    {
        ValidateKey(key);
        var headers = new NatsHeaders { [OperationHeader] = "DEL" };
        await _js.PublishAsync(_subjectPrefix + key, ReadOnlyMemory<byte>.Empty, headers, cancellationToken: cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Marks the key purged and removes every earlier revision (rollup of the key's subject).</summary>
    public async Task PurgeAsync(string key, CancellationToken cancellationToken = default)
    {
        ValidateKey(key);
        var headers = new NatsHeaders { [OperationHeader] = "PURGE", ["Nats-Rollup"] = "sub" };
        await _js.PublishAsync(_subjectPrefix + key, ReadOnlyMemory<byte>.Empty, headers, cancellationToken: cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// The latest entry of every key matching <paramref name="keys"/> (a subject pattern, default all), then every
    /// change as it happens, deletes and purges included. <see cref="KvEntry.Delta"/> = 0 marks the point where the
    /// watcher has caught up. Backed by an ephemeral ack-none push consumer with idle heartbeats; after a reconnect
    /// or missed heartbeats it is recreated from the last revision seen, so no change is skipped or repeated.
    /// </summary>
    public async IAsyncEnumerable<KvEntry> WatchAsync(string keys = ">", [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(keys);
        var connection = _js.Connection;
        var inbox = connection.NewInbox();
        var sub = await connection.SubscribeAsync(inbox, cancellationToken: cancellationToken).ConfigureAwait(false);
        await using var subscription = sub.ConfigureAwait(false);
        using var reader = new TimedReader(sub.Msgs, cancellationToken);
        int restart = 0;
        void OnState(object? sender, NatsConnectionState state)
        {
            if (state != NatsConnectionState.Open) return;
            Volatile.Write(ref restart, 1);
            reader.Wake();
        }
        connection.ConnectionStateChanged += OnState;
        ulong lastRevision = 0;
        string? consumer = await StartWatcherAsync(inbox, keys, lastRevision, null, throwOnError: true, cancellationToken).ConfigureAwait(false);
        try
        {
            bool recreate = false;
            while (true)
            {
                if ((Interlocked.Exchange(ref restart, 0) == 1 || recreate) && connection.ConnectionState == NatsConnectionState.Open)
                {
                    consumer = await StartWatcherAsync(inbox, keys, lastRevision, consumer, throwOnError: false, cancellationToken).ConfigureAwait(false);
                    recreate = consumer is null;
                }
                var (outcome, msg) = await reader.ReadAsync(recreate ? TimeSpan.FromMilliseconds(250) : WatchHeartbeat * 3).ConfigureAwait(false);
                if (outcome == ReadOutcome.Completed) yield break;
                if (outcome == ReadOutcome.TimedOut)
                {
                    // Missed heartbeats, or a reconnect woke us: the push consumer may be gone with the old server.
                    recreate = true;
                    continue;
                }
                if (NatsJSConsumer.IsStatus(msg, out _)) continue; // idle heartbeat
                var meta = new NatsJSMsg(msg, connection).Metadata;
                if (meta.StreamSeq <= lastRevision) continue; // replayed by a recreated watcher
                lastRevision = meta.StreamSeq;
                var key = msg.Subject.StartsWith(_subjectPrefix, StringComparison.Ordinal) ? msg.Subject[_subjectPrefix.Length..] : msg.Subject;
                yield return new KvEntry(Bucket, key, msg.Data, meta.StreamSeq, meta.Timestamp, Operation(msg.Headers), meta.NumPending);
            }
        }
        finally
        {
            connection.ConnectionStateChanged -= OnState;
            if (consumer is not null) await DeleteWatcherAsync(consumer).ConfigureAwait(false);
        }
    }

    private static readonly TimeSpan WatchHeartbeat = TimeSpan.FromSeconds(5);

    /// <summary>Creates the watcher's push consumer (replacing <paramref name="previous"/>); null when the server is not reachable yet.</summary>
    private async Task<string?> StartWatcherAsync(string inbox, string keys, ulong lastRevision, string? previous, bool throwOnError, CancellationToken cancellationToken)
    {
        if (previous is not null) await DeleteWatcherAsync(previous).ConfigureAwait(false);
        try
        {
            var consumer = await _js.CreateOrUpdateConsumerAsync(StreamName, new ConsumerConfig
            {
                DeliverSubject = inbox,
                DeliverPolicy = lastRevision == 0 ? DeliverPolicy.LastPerSubject : DeliverPolicy.ByStartSequence,
                OptStartSeq = lastRevision == 0 ? null : lastRevision + 1,
                AckPolicy = AckPolicy.None,
                FilterSubject = _subjectPrefix + keys,
                IdleHeartbeat = WatchHeartbeat,
                InactiveThreshold = TimeSpan.FromSeconds(30),
            }, cancellationToken).ConfigureAwait(false);
            return consumer.Name;
        }
        catch (NatsException) when (!throwOnError)
        {
            return null; // tried again after the next missed heartbeat window
        }
    }

    private async Task DeleteWatcherAsync(string consumer)
    {
        try
        {
            using var cleanup = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            await _js.DeleteConsumerAsync(StreamName, consumer, cleanup.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is NatsException or OperationCanceledException)
        {
            // Best effort: the server removes an idle ephemeral consumer itself after its inactive threshold.
        }
    }

    private static KvOperation Operation(NatsHeaders? headers) => headers?[OperationHeader] switch
    {
        "DEL" => KvOperation.Delete,
        "PURGE" => KvOperation.Purge,
        _ => KvOperation.Put,
    };

    internal static void ValidateBucket(string bucket)
    {
        ArgumentException.ThrowIfNullOrEmpty(bucket);
        foreach (var c in bucket)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '_' or '-'))
                throw new ArgumentException($"bucket name '{bucket}' is invalid: use letters, digits, '_' and '-' only", nameof(bucket));
        }
    }

    internal static void ValidateKey(string key)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        if (key[0] == '.' || key[^1] == '.')
            throw new ArgumentException($"key '{key}' is invalid: it may not start or end with '.'", nameof(key));
        foreach (var c in key)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '-' or '/' or '_' or '=' or '.'))
                throw new ArgumentException($"key '{key}' is invalid: use letters, digits and '-/_=.' only", nameof(key));
        }
    }
}
