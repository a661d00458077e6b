using Microsoft.Win32.SafeHandles;

namespace Siem.Collectors.Sources.Internal;

/// <summary>One open file being followed. Keyed by identity; <see cref="Path"/> is where we last saw it.</summary>
internal sealed class TrackedFile : IDisposable
{
    public TrackedFile(FileIdentity identity, string path, SafeFileHandle handle, long offset, int maxLineBytes, long now)
    {
        Identity = identity;
        SourceKey = identity.SourceKey;
        Path = path;
        Handle = handle;
        Splitter = new LineSplitter(maxLineBytes, offset);
        LastGrowth = now;
    }

    public FileIdentity Identity { get; }

    public string SourceKey { get; }

    public string Path { get; set; }

    public SafeFileHandle Handle { get; }

    public LineSplitter Splitter { get; }

    /// <summary>Its path now names another file or nothing: read it to its end before its successor, then close it.</summary>
    public bool Rotated { get; set; }

    /// <summary>No pattern matches it any more (rotated to a name outside the glob, or deleted).</summary>
    public bool Unmatched { get; set; }

    /// <summary>Timestamp (TimeProvider ticks) of the last read that returned data.</summary>
    public long LastGrowth { get; set; }

    public void Dispose()
    {
        Handle.Dispose();
        Splitter.Dispose();
    }
}
