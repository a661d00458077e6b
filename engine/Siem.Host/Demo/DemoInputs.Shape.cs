using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Siem.Host.Demo;

internal static partial class DemoInputs
{
    /// <summary>Largest JSON document file split into lines (it is parsed whole); JSON lines files have no limit.</summary>
    private const long MaxJsonDocumentBytes = 1L << 30;

    /// <summary>What a file holds, from its first bytes (magic numbers, byte order marks, NUL patterns, the first JSON value).</summary>
    private static Shape Classify(string path)
    {
        var head = new byte[HeadBytes];
        int n;
        using (var stream = File.OpenRead(path))
        {
            n = stream.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
        }
        var h = head.AsSpan(0, n);
        if (h.StartsWith((ReadOnlySpan<byte>)[0x1F, 0x8B])) return Shape.Gzip;
        if (h.StartsWith("PK\x03\x04"u8) || h.StartsWith("PK\x05\x06"u8)) return Shape.Zip;
        if (h.StartsWith("ElfFile\0"u8)) return Shape.Evtx;
        if (h.StartsWith("LPKSHHRH"u8)) return Shape.JournalFile;
        if (h.StartsWith((ReadOnlySpan<byte>)[0xFF, 0xFE, 0x00, 0x00]) || h.StartsWith((ReadOnlySpan<byte>)[0x00, 0x00, 0xFE, 0xFF])) return Shape.Utf32;
        if (h.StartsWith((ReadOnlySpan<byte>)[0xFF, 0xFE])) return Shape.Utf16LittleEndian;
        if (h.StartsWith((ReadOnlySpan<byte>)[0xFE, 0xFF])) return Shape.Utf16BigEndian;
        if (h.IndexOf((byte)0) >= 0) return GuessUtf16(h);
        var text = h.StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF]) ? h[3..] : h;
        text = text.TrimStart(" \t\r\n"u8);
        if (text.IsEmpty) return Shape.Lines;
        if (text[0] == (byte)'[') return Shape.JsonDocuments;
        return text[0] == (byte)'{' && !FirstLineIsOneEvent(path) ? Shape.JsonDocuments : Shape.Lines;
    }

    /// <summary>UTF-16 without a byte order mark: ASCII text has a NUL in every other byte; anything else with NULs is binary.</summary>
    private static Shape GuessUtf16(ReadOnlySpan<byte> head)
    {
        int pairs = head.Length / 2, zeroOdd = 0, zeroEven = 0;
        for (int i = 0; i + 1 < head.Length; i += 2)
        {
            if (head[i] != 0 && head[i + 1] == 0) zeroOdd++;
            else if (head[i] == 0 && head[i + 1] != 0) zeroEven++;
        }
        if (pairs > 0 && zeroOdd * 10 >= pairs * 7) return Shape.Utf16LittleEndian;
        if (pairs > 0 && zeroEven * 10 >= pairs * 7) return Shape.Utf16BigEndian;
        return Shape.Binary;
    }

    /// <summary>
    /// JSON lines when the first non-blank line is a complete JSON object on its own, unless that object only wraps a
    /// list of events (<c>{"Records": [...]}</c> from CloudTrail, <c>{"records": [...]}</c> from Azure).
    /// </summary>
    private static bool FirstLineIsOneEvent(string path)
    {
        using var reader = new StreamReader(path, Encoding.UTF8, detectEncodingFromByteOrderMarks: true);
        string? line;
        while ((line = reader.ReadLine()) is not null && string.IsNullOrWhiteSpace(line))
        {
        }
        if (line is null) return true;
        try
        {
            using var doc = JsonDocument.Parse(line);
            return WrappedEvents(doc.RootElement) is null;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    /// <summary>The list an object wraps when its only property is an array of objects; null otherwise.</summary>
    private static JsonElement? WrappedEvents(JsonElement value)
    {
        if (value.ValueKind != JsonValueKind.Object) return null;
        using var properties = value.EnumerateObject();
        if (!properties.MoveNext()) return null;
        var only = properties.Current.Value;
        if (properties.MoveNext() || only.ValueKind != JsonValueKind.Array) return null;
        foreach (var item in only.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.Object) return null;
        }
        return only;
    }

    /// <summary>
    /// Writes every event of a JSON document file as one compact line: the elements of a top-level array or of a
    /// wrapper's list, and every other top-level value as it is. False (the file is then shipped as its lines, nothing
    /// lost) when it is not valid JSON.
    /// </summary>
    private static bool TrySplitJson(string path, string target, Action<string> log, out long count)
    {
        count = 0;
        var length = new FileInfo(path).Length;
        if (length > MaxJsonDocumentBytes)
        {
            log($"demo: {path}: a JSON document of {length} bytes is too large to split (limit {MaxJsonDocumentBytes}); shipping its lines as they are (convert it to JSON lines, e.g. `jq -c '.[]'`)");
            return false;
        }
        var bytes = File.ReadAllBytes(path);
        var json = bytes.AsSpan().StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF]) ? bytes.AsMemory(3) : bytes.AsMemory();
        Directory.CreateDirectory(Path.GetDirectoryName(target)!);
        try
        {
            using var output = File.Create(target);
            using var writer = new Utf8JsonWriter(output, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, SkipValidation = true });
            var reader = new Utf8JsonReader(json.Span, new JsonReaderOptions { AllowMultipleValues = true, CommentHandling = JsonCommentHandling.Skip });
            while (reader.Read())
            {
                using var doc = JsonDocument.ParseValue(ref reader);
                var root = doc.RootElement;
                var list = root.ValueKind == JsonValueKind.Array ? root : WrappedEvents(root);
                foreach (var item in (IEnumerable<JsonElement>?)list?.EnumerateArray() ?? [root])
                {
                    item.WriteTo(writer);
                    writer.Flush();
                    output.WriteByte((byte)'\n');
                    writer.Reset();
                    count++;
                }
            }
            return true;
        }
        catch (JsonException ex)
        {
            log($"demo: {path}: looks like JSON but is not valid JSON ({ex.Message}); shipping its lines as they are");
            File.Delete(target);
            return false;
        }
    }
}
