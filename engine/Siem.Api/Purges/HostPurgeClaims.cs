using System.Security.Cryptography;
using System.Text;

namespace Siem.Api.Purges;

/// <summary>
/// Claims for API processes on one host without NATS: an exclusive file lock per job in the temp folder (not in the data
/// dir, whose every file the purge's byte scan reads), named after the data dir, released by the OS when the process dies.
/// </summary>
public sealed class HostPurgeClaims(string jobsDirectory) : IPurgeClaims
{
    private readonly string _dataDirTag = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(jobsDirectory)))[..16];

    public TimeSpan RetryInterval { get; init; } = TimeSpan.FromSeconds(5);

    public Task<IPurgeClaim?> TryClaimAsync(string jobId, CancellationToken cancellationToken = default)
    {
        var dir = Path.Combine(Path.GetTempPath(), "siem-purge-locks");
        Directory.CreateDirectory(dir);
        try
        {
            var file = new FileStream(Path.Combine(dir, $"{_dataDirTag}-{jobId}.lock"), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            return Task.FromResult<IPurgeClaim?>(new FileClaim(file));
        }
        catch (IOException)
        {
            return Task.FromResult<IPurgeClaim?>(null);
        }
    }

    private sealed class FileClaim(FileStream file) : IPurgeClaim
    {
        public CancellationToken Lost => CancellationToken.None;

        public ValueTask DisposeAsync() => file.DisposeAsync();
    }
}
