using System.Security.Cryptography;
using Siem.Core.Security;

namespace Siem.Lineage.Subjects;

/// <summary>
/// The secret key subject pseudonyms are computed under: 32 random bytes in <see cref="LineagePaths.Key"/>, mode 0600,
/// created on first use. Whoever holds it can test a guessed value against the ledger, so it never leaves the data dir
/// and is never logged. Losing it makes existing pseudonyms unmatchable (purges would find nothing): back it up.
/// </summary>
public static class LineageKey
{
    public const int Length = 32;

    /// <summary>Reads the key under <paramref name="dataDir"/>, creating it when it does not exist yet.</summary>
    public static byte[] LoadOrCreate(string dataDir) => LoadOrCreateFile(LineagePaths.Key(dataDir));

    public static byte[] LoadOrCreateFile(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!File.Exists(path))
        {
            // Written to a private temp file and moved without overwrite: two processes starting at once agree on one key.
            var tmp = path + $".{Environment.ProcessId}.{Guid.NewGuid():N}.tmp";
            try
            {
                SecureFile.WriteAllBytes(tmp, RandomNumberGenerator.GetBytes(Length));
                File.Move(tmp, path, overwrite: false);
                SecureFile.FsyncDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
            }
            catch (IOException) when (File.Exists(path))
            {
                // Another process created it first: use theirs.
            }
            finally
            {
                if (File.Exists(tmp)) File.Delete(tmp);
            }
        }
        var key = File.ReadAllBytes(path);
        if (key.Length != Length)
            throw new InvalidDataException($"lineage key '{path}' holds {key.Length} bytes, expected {Length}; restore it from a backup (a new key would make every existing subject id unmatchable)");
        return key;
    }
}
