using System.IO.Compression;
using System.Text;

namespace Siem.Host.Demo;

internal static partial class DemoInputs
{
    private enum Shape { Lines, Gzip, Zip, Utf16LittleEndian, Utf16BigEndian, Utf32, JsonDocuments, Evtx, JournalFile, Binary }

    private const int HeadBytes = 4096;

    /// <summary>Ships <paramref name="path"/> in place or converts it into <paramref name="stage"/> (recursively: a gzip'd UTF-16 JSON array is unpacked, re-encoded and split).</summary>
    /// <param name="asked">Named as an input itself (or inside an archive named so), not found in a directory.</param>
    private static void Convert(string given, string path, string stage, List<Prepared> prepared, Action<string> log, bool asked, string? via = null)
    {
        var shape = Classify(path);
        switch (shape)
        {
            case Shape.Lines:
                prepared.Add(new Prepared(given, path, via));
                return;
            case Shape.Gzip:
            {
                var unpacked = stage.EndsWith(".gz", StringComparison.OrdinalIgnoreCase) ? stage[..^3] : stage + ".unpacked";
                Directory.CreateDirectory(Path.GetDirectoryName(unpacked)!);
                using (var input = File.OpenRead(path))
                using (var gzip = new GZipStream(input, CompressionMode.Decompress))
                using (var output = File.Create(unpacked))
                {
                    CopyOrExplain(gzip, output, path, "gzip");
                }
                ConvertCopy(given, unpacked, prepared, log, Join(via, "gzip"));
                return;
            }
            case Shape.Zip:
                Unzip(given, path, stage + ".d", prepared, log, via);
                return;
            case Shape.Utf16LittleEndian or Shape.Utf16BigEndian or Shape.Utf32:
            {
                var utf8 = stage + ".utf8";
                Reencode(path, utf8, shape);
                ConvertCopy(given, utf8, prepared, log, Join(via, shape == Shape.Utf32 ? "UTF-32" : "UTF-16"));
                return;
            }
            case Shape.JsonDocuments:
            {
                var lines = stage + ".jsonl";
                if (TrySplitJson(path, lines, log, out var count))
                {
                    prepared.Add(new Prepared(given, lines, Join(via, $"JSON documents ({count}) one per line")));
                }
                else
                {
                    prepared.Add(new Prepared(given, path, via));
                }
                return;
            }
            case Shape.Evtx:
                throw new InputException($"{path}: a binary Windows event log (.evtx): export it as JSON lines first (e.g. `evtx_dump -o jsonl {Path.GetFileName(path)}`, or Get-WinEvent ... | ConvertTo-Json -Compress), then pass that file");
            case Shape.JournalFile:
                throw new InputException($"{path}: a binary systemd journal file: export it first with `journalctl --file {Path.GetFileName(path)} -o json > journal.json`, then pass that file");
            default:
                var binary = $"{path}: binary data, not a text log (NUL bytes, neither UTF-16 nor an archive we unpack)";
                if (!asked) throw new InputException(binary);
                // Named on purpose: ship it anyway (a text log with a run of NULs after a crash looks like this too).
                log($"demo: {binary}; shipping its lines anyway because it was named as an input");
                prepared.Add(new Prepared(given, path, via));
                return;
        }
    }

    /// <summary>Converts an intermediate copy further when it needs it; the intermediate is removed once converted again.</summary>
    private static void ConvertCopy(string given, string copy, List<Prepared> prepared, Action<string> log, string via)
    {
        int before = prepared.Count;
        Convert(given, copy, copy, prepared, log, asked: true, via);
        if (prepared.Skip(before).All(p => p.Path != copy)) File.Delete(copy);
    }

    private static void Unzip(string given, string path, string dir, List<Prepared> prepared, Action<string> log, string? via)
    {
        ZipArchive zip;
        try
        {
            zip = ZipFile.OpenRead(path);
        }
        catch (InvalidDataException ex)
        {
            throw new InputException($"{path}: not a readable zip archive: {ex.Message}");
        }
        using (zip)
        {
            var root = Path.GetFullPath(dir) + Path.DirectorySeparatorChar;
            foreach (var entry in zip.Entries.Where(e => e.FullName.Length > 0 && !e.FullName.EndsWith('/')).OrderBy(e => e.FullName, StringComparer.Ordinal))
            {
                var target = Path.GetFullPath(Path.Combine(dir, entry.FullName));
                if (!target.StartsWith(root, StringComparison.Ordinal))
                {
                    log($"demo: {given}: skipping zip entry '{entry.FullName}': it points outside the archive");
                    continue;
                }
                if (_notLogs.Contains(Path.GetExtension(target)) || entry.FullName.StartsWith("__MACOSX/", StringComparison.Ordinal))
                {
                    log($"demo: {given}: skipping zip entry '{entry.FullName}': not a log file");
                    continue;
                }
                Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                try
                {
                    entry.ExtractToFile(target, overwrite: true);
                }
                catch (InvalidDataException ex)
                {
                    throw new InputException($"{path}: zip entry '{entry.FullName}' cannot be unpacked: {ex.Message}");
                }
                ConvertCopy(given, target, prepared, log, Join(via, $"zip entry {entry.FullName}"));
            }
        }
    }

    private static void CopyOrExplain(Stream from, Stream to, string path, string format)
    {
        try
        {
            from.CopyTo(to);
        }
        catch (InvalidDataException ex)
        {
            throw new InputException($"{path}: the {format} data is damaged: {ex.Message}");
        }
    }

    private static void Reencode(string path, string target, Shape shape)
    {
        Encoding encoding = shape switch
        {
            Shape.Utf16BigEndian => new UnicodeEncoding(bigEndian: true, byteOrderMark: true),
            Shape.Utf32 => new UTF32Encoding(bigEndian: false, byteOrderMark: true),
            _ => new UnicodeEncoding(bigEndian: false, byteOrderMark: true),
        };
        Directory.CreateDirectory(Path.GetDirectoryName(target)!);
        // A byte order mark, when there is one, wins over the guess (it also tells UTF-32 big from little endian).
        using var reader = new StreamReader(path, encoding, detectEncodingFromByteOrderMarks: true);
        using var writer = new StreamWriter(target, append: false, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false));
        var buffer = new char[64 * 1024];
        int n;
        while ((n = reader.Read(buffer)) > 0) writer.Write(buffer, 0, n);
    }

    private static string Join(string? via, string step) => via == null ? step : $"{via}, {step}";
}
