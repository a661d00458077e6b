using System.Globalization;
using System.Security.Cryptography;
using Siem.Nats;

namespace Siem.Engine.ScaleOut;

/// <summary>
/// Checks that nats-server maps <c>siem.corr.in.*.*</c> to the same partitions the engine expects, before any
/// contribution is published: core-NATS probes on <c>siem.corr.in.probe.&lt;token&gt;</c> (no stream stores them) must come back on
/// <c>siem.corr.p.&lt;FNV-1a(token) mod n&gt;.probe.&lt;token&gt;</c>. A missing mapping or another partition count is refused with the fix.
/// </summary>
internal static class ServerMappingProbe
{
    private const int Probes = 8;

    public static async Task VerifyAsync(NatsConnection connection, int partitions, CancellationToken cancellationToken)
    {
        await using var sub = await connection.SubscribeAsync("siem.corr.p.*.probe.*", cancellationToken: cancellationToken).ConfigureAwait(false);
        var tokens = Enumerable.Range(0, Probes).Select(_ => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(12))).ToList();
        foreach (var token in tokens) await connection.PublishAsync(CorrelationSubjects.Mapped("probe", token), ReadOnlyMemory<byte>.Empty, cancellationToken: cancellationToken).ConfigureAwait(false);
        await connection.PingAsync(cancellationToken).ConfigureAwait(false);
        using var wait = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        wait.CancelAfter(TimeSpan.FromSeconds(3));
        var seen = new Dictionary<string, int>(StringComparer.Ordinal);
        try
        {
            while (seen.Count < tokens.Count)
            {
                var msg = await sub.Msgs.ReadAsync(wait.Token).ConfigureAwait(false);
                var parts = msg.Subject.Split('.');
                // Another engine starting at the same moment probes the same subjects: count only our own tokens.
                if (parts.Length == 6 && tokens.Contains(parts[5])) seen[parts[5]] = int.Parse(parts[3], CultureInfo.InvariantCulture);
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new InvalidOperationException(
                $"nats-server does not map correlation subjects to partitions: add  mappings = {{ {CorrelationSubjects.ServerMapping(partitions)} }}  " +
                "to its configuration (inside the SIEM account's block when accounts are used; on every node of a cluster) and reload it, " +
                "or set scale_out.partition_mapping: engine");
        }
        foreach (var token in tokens)
        {
            int expected = CorrelationSubjects.PartitionOf(token, partitions);
            if (seen[token] != expected)
                throw new InvalidOperationException(
                    $"nats-server maps correlation subjects with another partition count than scale_out.partitions = {partitions} (token {token}: server partition {seen[token]}, expected {expected}); " +
                    $"make them agree: mappings = {{ {CorrelationSubjects.ServerMapping(partitions)} }}");
        }
    }
}
