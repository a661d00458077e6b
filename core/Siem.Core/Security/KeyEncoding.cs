using System.Text.Json;

namespace Siem.Core.Security;

/// <summary>Reads the small JSON key files; errors name the file and the field, never the value.</summary>
internal static class KeyEncoding
{
    public static JsonDocument Parse(string path)
    {
        try
        {
            return JsonDocument.Parse(File.ReadAllBytes(path));
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: not a valid key file (JSON: {e.Message})", e);
        }
    }

    public static string String(JsonElement root, string name, string path) =>
        root.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String && v.GetString() is { Length: > 0 } s
            ? s
            : throw new InvalidDataException($"{path}: missing or empty field '{name}'");

    public static byte[] Bytes(JsonElement root, string name, string path, int expectedLength)
    {
        byte[] b;
        try
        {
            b = Convert.FromBase64String(String(root, name, path));
        }
        catch (FormatException)
        {
            throw new InvalidDataException($"{path}: field '{name}' is not base64");
        }
        return b.Length == expectedLength
            ? b
            : throw new InvalidDataException($"{path}: field '{name}' must hold {expectedLength} bytes, has {b.Length}");
    }
}
