using System.Text.Json;

namespace Siem.Collectors.Sources.Internal;

/// <summary>Committed position of one file.</summary>
internal readonly record struct FileCheckpoint(FileIdentity Identity, string Path, long Offset);

/// <summary>
/// The file source's checkpoint: <c>{"version":1,"files":[{"identity":"dev:inode","path":"...","offset":N}]}</c>.
/// </summary>
internal static class FileCheckpointStore
{
    public static Dictionary<FileIdentity, FileCheckpoint>? Load(string path)
    {
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (FileNotFoundException)
        {
            return null;
        }
        catch (DirectoryNotFoundException)
        {
            return null;
        }

        var result = new Dictionary<FileIdentity, FileCheckpoint>();
        try
        {
            using var doc = JsonDocument.Parse(bytes);
            foreach (var entry in doc.RootElement.GetProperty("files").EnumerateArray())
            {
                var identityText = entry.GetProperty("identity").GetString() ?? string.Empty;
                if (!FileIdentity.TryParse(identityText, out var identity))
                {
                    throw new InvalidDataException($"identity '{identityText}' is not 'device:inode'");
                }

                var offset = entry.GetProperty("offset").GetInt64();
                if (offset < 0)
                {
                    throw new InvalidDataException($"offset {offset} of '{identityText}' is negative");
                }

                result[identity] = new FileCheckpoint(identity, entry.GetProperty("path").GetString() ?? string.Empty, offset);
            }
        }
        catch (Exception e) when (e is JsonException or InvalidDataException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            throw new InvalidDataException(
                $"File source checkpoint '{path}' is damaged ({e.Message}). Fix it, or delete it to read every matching file again from its start (lines already shipped will be shipped again).",
                e);
        }

        return result;
    }

    public static byte[] Serialize(IEnumerable<FileCheckpoint> entries)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            writer.WriteStartObject();
            writer.WriteNumber("version", 1);
            writer.WriteStartArray("files");
            foreach (var entry in entries)
            {
                writer.WriteStartObject();
                writer.WriteString("identity", entry.Identity.ToString());
                writer.WriteString("path", entry.Path);
                writer.WriteNumber("offset", entry.Offset);
                writer.WriteEndObject();
            }

            writer.WriteEndArray();
            writer.WriteEndObject();
        }

        return buffer.ToArray();
    }
}
