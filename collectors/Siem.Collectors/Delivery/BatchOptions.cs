namespace Siem.Collectors.Delivery;

/// <summary>When a batch is cut: whichever limit is reached first. Defaults: 500 records, 512 KiB of JSON, 200 ms.</summary>
public sealed record BatchOptions
{
    public static BatchOptions Default { get; } = new();

    public int MaxRecords { get; init; } = 500;

    /// <summary>Encoded (plaintext JSON lines) size; keep well under the server's max_payload (1 MiB by default).</summary>
    public int MaxBytes { get; init; } = 512 * 1024;

    /// <summary>How long the first record of a batch may wait for company.</summary>
    public TimeSpan Linger { get; init; } = TimeSpan.FromMilliseconds(200);
}
