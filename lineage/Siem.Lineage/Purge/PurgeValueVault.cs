using System.Security.Cryptography;
using System.Text;
using Siem.Core.Security;

namespace Siem.Lineage.Purge;

/// <summary>
/// Holds a job's raw value only encrypted: AES-256-GCM under a per-job random key in <c>&lt;id&gt;.key</c> (0600), so a
/// crashed job can resume its verification scan. <see cref="Destroy"/> overwrites and deletes the key once the job is
/// certified; from then on the sealed value in the job file is unreadable, and nothing on disk holds the value.
/// </summary>
public static class PurgeValueVault
{
    private const int KeySize = 32, NonceSize = 12, TagSize = 16;

    public static string Seal(string keyPath, string value)
    {
        var key = RandomNumberGenerator.GetBytes(KeySize);
        SecureFile.WriteAllBytes(keyPath, key);
        var plain = Encoding.UTF8.GetBytes(value);
        var output = new byte[NonceSize + plain.Length + TagSize];
        var nonce = output.AsSpan(0, NonceSize);
        RandomNumberGenerator.Fill(nonce);
        using (var aes = new AesGcm(key, TagSize))
        {
            aes.Encrypt(nonce, plain, output.AsSpan(NonceSize, plain.Length), output.AsSpan(NonceSize + plain.Length), Encoding.UTF8.GetBytes(Path.GetFileNameWithoutExtension(keyPath)));
        }
        CryptographicOperations.ZeroMemory(key);
        CryptographicOperations.ZeroMemory(plain);
        return Convert.ToBase64String(output);
    }

    /// <summary>The value, or null when the key was destroyed (the job is certified) or does not fit.</summary>
    public static string? Open(string keyPath, string? sealedValue)
    {
        if (sealedValue == null || !File.Exists(keyPath)) return null;
        var key = File.ReadAllBytes(keyPath);
        var data = Convert.FromBase64String(sealedValue);
        if (key.Length != KeySize || data.Length < NonceSize + TagSize) return null;
        var plain = new byte[data.Length - NonceSize - TagSize];
        try
        {
            using var aes = new AesGcm(key, TagSize);
            aes.Decrypt(data.AsSpan(0, NonceSize), data.AsSpan(NonceSize, plain.Length), data.AsSpan(NonceSize + plain.Length), plain, Encoding.UTF8.GetBytes(Path.GetFileNameWithoutExtension(keyPath)));
            return Encoding.UTF8.GetString(plain);
        }
        catch (AuthenticationTagMismatchException)
        {
            return null;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(key);
        }
    }

    /// <summary>Overwrites the key file with zeros (fsynced), then deletes it.</summary>
    public static void Destroy(string keyPath)
    {
        if (!File.Exists(keyPath)) return;
        using (var fs = new FileStream(keyPath, FileMode.Open, FileAccess.Write, FileShare.None))
        {
            fs.Write(new byte[Math.Max(fs.Length, KeySize)]);
            fs.Flush(flushToDisk: true);
        }
        File.Delete(keyPath);
        SecureFile.FsyncDirectory(Path.GetDirectoryName(Path.GetFullPath(keyPath))!);
    }
}
