namespace Siem.Collectors.Sources.Internal;

/// <summary>Replaces a file so that a crash leaves either the old or the new content, never a torn one.</summary>
internal static class AtomicFile
{
    public static async ValueTask WriteAsync(string path, ReadOnlyMemory<byte> content, CancellationToken cancellationToken)
    {
        var temp = path + ".tmp";
        var options = new FileStreamOptions
        {
            Mode = FileMode.Create,
            Access = FileAccess.Write,
            Share = FileShare.None,
            Options = FileOptions.Asynchronous,
        };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        await using (var stream = new FileStream(temp, options))
        {
            await stream.WriteAsync(content, cancellationToken).ConfigureAwait(false);

            // fsync before the rename: otherwise the rename can reach the disk before the data, and a power
            // loss leaves an empty checkpoint.
            stream.Flush(flushToDisk: true);
        }

        File.Move(temp, path, overwrite: true);
    }
}
