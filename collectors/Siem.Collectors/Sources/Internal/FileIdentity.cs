using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Siem.Collectors.Sources.Internal;

/// <summary>
/// Identity of a file independent of its name: device + inode. A logrotate rename keeps it, a newly created file
/// at the same path gets a new one, so checkpoints are keyed by it rather than by path.
/// </summary>
internal readonly record struct FileIdentity(ulong Device, ulong Inode)
{
    /// <summary>The <see cref="RawLine.SourceKey"/> of lines read from this file.</summary>
    public string SourceKey => $"file:{Device}:{Inode}";

    /// <summary>"dev:inode" as stored in checkpoints; the device number matches `stat -c %d`.</summary>
    public override string ToString() => $"{Device}:{Inode}";

    public static bool TryParse(string text, out FileIdentity identity)
    {
        identity = default;
        var colon = text.IndexOf(':', StringComparison.Ordinal);
        if (colon <= 0
            || !ulong.TryParse(text.AsSpan(0, colon), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var dev)
            || !ulong.TryParse(text.AsSpan(colon + 1), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var ino))
        {
            return false;
        }

        identity = new FileIdentity(dev, ino);
        return true;
    }
}

/// <summary>What statx tells us about a file: its identity, size and link count (0 once deleted).</summary>
internal readonly record struct FileStatus(FileIdentity Identity, long Size, uint LinkCount);

/// <summary>
/// statx(2) through libc. We use statx rather than stat/fstat because <c>struct statx</c> has one layout on every
/// Linux architecture (linux/stat.h), whereas <c>struct stat</c> differs between x86_64 and aarch64 and glibc before
/// 2.33 exported it only as <c>__xstat</c>. The BCL exposes no inode number, and Mono.Unix is not available here.
/// </summary>
internal static partial class FileStat
{
    private const int AtFdCwd = -100;
    private const int AtEmptyPath = 0x1000;
    private const uint StatxBasicStats = 0x7ff;

    /// <summary>Status of an open handle (the file we are actually reading, whatever its name is now).</summary>
    public static FileStatus Of(SafeFileHandle handle)
    {
        ArgumentNullException.ThrowIfNull(handle);
        if (StatxFd(handle, string.Empty, AtEmptyPath, StatxBasicStats, out var buffer) != 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            throw new IOException($"statx on an open log file failed: {Marshal.GetPInvokeErrorMessage(errno)} (errno {errno}).");
        }

        return buffer.ToStatus();
    }

    /// <summary>Status of the file a path names now, or null if it does not exist (or cannot be stat'ed).</summary>
    public static FileStatus? Of(string path)
    {
        if (!OperatingSystem.IsLinux())
        {
            throw new PlatformNotSupportedException("File identity (device + inode) is implemented with Linux statx(2).");
        }

        return StatxPath(AtFdCwd, path, 0, StatxBasicStats, out var buffer) == 0 ? buffer.ToStatus() : null;
    }

    [LibraryImport("libc", EntryPoint = "statx", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int StatxFd(SafeFileHandle fd, string path, int flags, uint mask, out StatxBuffer buffer);

    [LibraryImport("libc", EntryPoint = "statx", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int StatxPath(int dirFd, string path, int flags, uint mask, out StatxBuffer buffer);

    /// <summary>
    /// <c>struct statx</c> from linux/stat.h (256 bytes): stx_nlink u32 @16, stx_ino u64 @32, stx_size u64 @40,
    /// stx_dev_major u32 @136, stx_dev_minor u32 @140. Only the fields we read are declared.
    /// </summary>
    [StructLayout(LayoutKind.Explicit, Size = 256)]
    private struct StatxBuffer
    {
        [FieldOffset(16)] public uint NLink;
        [FieldOffset(32)] public ulong Ino;
        [FieldOffset(40)] public ulong Size;
        [FieldOffset(136)] public uint DevMajor;
        [FieldOffset(140)] public uint DevMinor;

        // glibc's makedev(), so the number equals st_dev from stat(2) and `stat -c %d`.
        public readonly FileStatus ToStatus()
        {
            ulong major = DevMajor, minor = DevMinor;
            var dev = ((major & 0xfffff000UL) << 32) | ((major & 0xfffUL) << 8) | ((minor & 0xffffff00UL) << 12) | (minor & 0xffUL);
            return new FileStatus(new FileIdentity(dev, Ino), (long)Size, NLink);
        }
    }
}
