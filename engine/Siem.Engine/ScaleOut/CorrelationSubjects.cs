using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Siem.Engine.ScaleOut;

/// <summary>
/// Where correlation contributions travel. A contribution is published on <c>siem.corr.in.c.&lt;token&gt;</c>, where the
/// token is a hash of the window's group key (rule + group-by values). nats-server's subject mapping
/// (<see cref="ServerMapping"/>, supported by nats-server 2.8+) rewrites it to <c>siem.corr.p.&lt;partition&gt;.c.&lt;token&gt;</c>
/// with <c>partition(n, 2)</c> = FNV-1a-32 of the token mod n, so every contribution to one window lands in one partition.
/// Without the mapping the engine computes the same function itself and publishes on the partition subject directly.
/// </summary>
public static class CorrelationSubjects
{
    public const string Stream = "SIEM_CORR";
    public const string StreamSubjects = "siem.corr.p.*.c.*";
    private const string InPrefix = "siem.corr.in.";

    /// <summary>The nats-server <c>mappings</c> entry for <paramref name="partitions"/> partitions (top level, or inside the account).</summary>
    public static string ServerMapping(int partitions) =>
        $"\"siem.corr.in.*.*\": \"siem.corr.p.{{{{partition({partitions.ToString(CultureInfo.InvariantCulture)},2)}}}}.{{{{wildcard(1)}}}}.{{{{wildcard(2)}}}}\"";

    /// <summary>A subject-safe token for a group key: 24 hex digits of its SHA-256.</summary>
    public static string Token(string groupKey)
    {
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(Encoding.UTF8.GetBytes(groupKey), hash);
        return Convert.ToHexStringLower(hash[..12]);
    }

    /// <summary>nats-server's <c>partition(n, ...)</c>: FNV-1a 32 over the token's bytes, mod n.</summary>
    public static int PartitionOf(string token, int partitions)
    {
        uint h = 2166136261;
        foreach (char c in token) h = (h ^ (byte)c) * 16777619; // tokens are ASCII
        return (int)(h % (uint)partitions);
    }

    /// <summary>The subject the server maps to a partition.</summary>
    public static string Mapped(string kind, string token) => InPrefix + kind + "." + token;

    /// <summary>The partition subject itself (what the mapping produces).</summary>
    public static string Partition(int partition, string kind, string token) =>
        $"siem.corr.p.{partition.ToString(CultureInfo.InvariantCulture)}.{kind}.{token}";

    /// <summary>
    /// The last token of a partition's watermark ticks (<see cref="Watermark"/>); contribution tokens are hex, so it
    /// cannot collide with one.
    /// </summary>
    public const string WatermarkToken = "watermark";

    /// <summary>Where an engine tells a partition how far event time has come (published on the partition subject directly).</summary>
    public static string Watermark(int partition) => Partition(partition, "c", WatermarkToken);

    /// <summary>Every contribution (and watermark tick) of one partition.</summary>
    public static string PartitionFilter(int partition) => $"siem.corr.p.{partition.ToString(CultureInfo.InvariantCulture)}.c.*";

    /// <summary>The partition of a delivered partition subject, or -1 when the subject is not one.</summary>
    public static int PartitionOfSubject(string subject)
    {
        var parts = subject.Split('.');
        return parts.Length == 6 && parts[2] == "p" && int.TryParse(parts[3], NumberStyles.None, CultureInfo.InvariantCulture, out int p) ? p : -1;
    }
}
