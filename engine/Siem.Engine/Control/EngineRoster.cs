using System.Text;
using Siem.Nats;
using Siem.Nats.JetStream;

namespace Siem.Engine.Control;

/// <summary>
/// Which engines are running, and which of them confirmed a purge notice: the KV bucket <see cref="Bucket"/> holds
/// <c>engines.&lt;id&gt;</c> (a heartbeat every <see cref="Heartbeat"/>; entries expire after <see cref="Ttl"/>, so a
/// crashed engine drops out on its own, a stopped one removes itself) and <c>applied.&lt;job&gt;.&lt;part&gt;.&lt;id&gt;</c>
/// (the engine applied that notice part: its state without the subject is saved, its partitions too). A KV bucket
/// rather than core NATS subjects, so the engine's broker permissions (<c>$KV.&gt;</c>) already cover it.
/// </summary>
public static class EngineRoster
{
    public const string Bucket = "SIEM_CONTROL_ACKS";
    public const string EnginePrefix = "engines.";
    public const string AppliedPrefix = "applied.";
    public static readonly TimeSpan Heartbeat = TimeSpan.FromSeconds(3);
    /// <summary>Long enough that a loaded machine's late heartbeat or a slow purge's late look does not lose an entry.</summary>
    public static readonly TimeSpan Ttl = TimeSpan.FromSeconds(20);

    public static Task<NatsKVStore> OpenAsync(NatsJSContext js, int replicas = 1, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(js);
        return js.CreateKeyValueAsync(new KvConfig(Bucket)
        {
            Description = "siem: running engines (heartbeats) and their confirmations of purge notices",
            History = 1,
            Ttl = Ttl,
            Replicas = replicas,
        }, cancellationToken);
    }

    /// <summary>An id usable in a key (engine ids hold host names and pids; anything else becomes '_').</summary>
    public static string KeyPart(string id)
    {
        ArgumentException.ThrowIfNullOrEmpty(id);
        var sb = new StringBuilder(id.Length);
        foreach (var c in id) sb.Append(char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '=' ? c : '_');
        return sb.ToString();
    }

    public static string AppliedKey(string jobId, int part, string engineId) =>
        AppliedPrefix + KeyPart(jobId) + "." + part.ToString(System.Globalization.CultureInfo.InvariantCulture) + "." + KeyPart(engineId);

    /// <summary>Heartbeats <paramref name="engineId"/> until cancelled, then removes it (a graceful stop is not waited for).</summary>
    public static async Task RunHeartbeatAsync(NatsKVStore bucket, string engineId, Action<string>? log, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(bucket);
        string key = EnginePrefix + KeyPart(engineId);
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await bucket.PutAsync(key, Encoding.UTF8.GetBytes(DateTimeOffset.UtcNow.ToString("O")), cancellationToken).ConfigureAwait(false);
                await Task.Delay(Heartbeat, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex) when (ex is NatsException or IOException)
            {
                // Unreachable broker: purges meanwhile see this engine drop out after the TTL and note it.
                log?.Invoke($"engine heartbeat in {Bucket} failed ({ex.Message}); trying again");
                try { await Task.Delay(Heartbeat, cancellationToken).ConfigureAwait(false); }
                catch (OperationCanceledException) { break; }
            }
        }
        using var bounded = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        try { await bucket.PurgeAsync(key, bounded.Token).ConfigureAwait(false); }
        catch (Exception ex) when (ex is NatsException or OperationCanceledException) { } // it expires after the TTL anyway
    }

    /// <summary>The engines whose heartbeat has not expired (key parts, sorted).</summary>
    public static async Task<IReadOnlyList<string>> LiveAsync(NatsJSContext js, CancellationToken cancellationToken = default)
    {
        var keys = await KvListing.LatestAsync(js, Bucket, EnginePrefix, cancellationToken).ConfigureAwait(false);
        return [.. keys.Select(k => k.Key[EnginePrefix.Length..]).Order(StringComparer.Ordinal)];
    }

    /// <summary>The engines (key parts) that confirmed part <paramref name="part"/> of purge <paramref name="jobId"/>.</summary>
    public static async Task<IReadOnlySet<string>> ConfirmedAsync(NatsJSContext js, string jobId, int part, CancellationToken cancellationToken = default)
    {
        string prefix = AppliedKey(jobId, part, "x")[..^1];
        var keys = await KvListing.LatestAsync(js, Bucket, prefix, cancellationToken).ConfigureAwait(false);
        return keys.Select(k => k.Key[prefix.Length..]).ToHashSet(StringComparer.Ordinal);
    }
}
