using System.IO.Compression;
using System.Text;
using System.Text.Json;
using Siem.Host.Demo;

namespace Siem.Engine.Tests;

/// <summary>
/// What people hand <c>siem demo --input</c>: the OTRF lsass dataset (JSON lines, 184 Windows events) as it comes and
/// in the shapes exports take — gzip'd, zipped, UTF-16 from PowerShell, a JSON array, pretty-printed — plus
/// directories, globs and files the demo cannot read.
/// </summary>
public sealed class DemoInputsTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("siem-demo-inputs-").FullName;
    private readonly List<string> _log = [];

    internal static string Lsass => Path.Combine(EngineStateTests.FindRepoRoot(), "..", "shared", "testdata", "otrf", "psh_lsass_memory_dump_comsvcs_2020-10-18T19500924.json");

    private static string[] LsassLines => File.ReadAllLines(Lsass);

    private string Stage => Path.Combine(_dir, "stage");

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Write(string name, byte[] bytes)
    {
        var path = Path.Combine(_dir, name);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    private List<DemoInputs.Prepared> Prepare(params string[] inputs) => DemoInputs.Prepare(inputs, Stage, _log.Add);

    /// <summary>The shipped file's events, compared by content with the dataset's lines.</summary>
    private static void AssertSameEventsAsLsass(string shipped)
    {
        var lines = File.ReadAllLines(shipped, Encoding.UTF8);
        Assert.Equal(184, lines.Length);
        var expected = LsassLines;
        for (int i = 0; i < lines.Length; i++)
        {
            Assert.True(JsonElement.DeepEquals(JsonDocument.Parse(expected[i]).RootElement, JsonDocument.Parse(lines[i]).RootElement), $"event {i + 1} differs");
        }
    }

    [Fact]
    public void Json_lines_and_syslog_files_are_shipped_in_place_without_a_copy()
    {
        var prepared = Prepare(Lsass, Path.Combine(EngineStateTests.FindRepoRoot(), "deploy", "samples", "auth.log"));

        Assert.Equal([Path.GetFullPath(Lsass), Path.Combine(EngineStateTests.FindRepoRoot(), "deploy", "samples", "auth.log")], prepared.Select(p => p.Path));
        Assert.All(prepared, p => Assert.Null(p.Conversion));
        Assert.False(Directory.Exists(Stage));
    }

    [Fact]
    public void A_gzip_file_is_shipped_as_its_decompressed_lines()
    {
        using var packed = new MemoryStream();
        using (var gzip = new GZipStream(packed, CompressionLevel.Fastest, leaveOpen: true)) gzip.Write(File.ReadAllBytes(Lsass));
        var input = Write("lsass.json.gz", packed.ToArray());

        var p = Assert.Single(Prepare(input));

        Assert.Equal("gzip", p.Conversion);
        Assert.StartsWith(Stage, p.Path, StringComparison.Ordinal);
        Assert.EndsWith("-lsass.json", p.Path, StringComparison.Ordinal);
        Assert.Equal(File.ReadAllBytes(Lsass), File.ReadAllBytes(p.Path));
    }

    [Fact]
    public void A_zip_archive_ships_each_log_it_holds_and_skips_its_docs()
    {
        var input = Path.Combine(_dir, "dataset.zip");
        using (var zip = ZipFile.Open(input, ZipArchiveMode.Create))
        {
            zip.CreateEntryFromFile(Lsass, "psh_lsass/lsass.json");
            zip.CreateEntryFromFile(Path.Combine(EngineStateTests.FindRepoRoot(), "deploy", "samples", "auth.log"), "auth.log");
            using (var w = new StreamWriter(zip.CreateEntry("README.md").Open())) w.Write("# dataset");
        }

        var prepared = Prepare(input);

        Assert.Equal(["zip entry auth.log", "zip entry psh_lsass/lsass.json"], prepared.Select(p => p.Conversion));
        Assert.Equal(File.ReadAllBytes(Lsass), File.ReadAllBytes(prepared[1].Path));
        Assert.Contains(_log, l => l.Contains("skipping zip entry 'README.md': not a log file", StringComparison.Ordinal));
    }

    [Fact]
    public void A_utf16_export_with_a_byte_order_mark_is_reencoded_as_utf8()
    {
        var text = string.Join("\r\n", LsassLines) + "\r\n";
        var input = Write("lsass-utf16.json", [.. Encoding.Unicode.GetPreamble(), .. Encoding.Unicode.GetBytes(text)]);

        var p = Assert.Single(Prepare(input));

        Assert.Equal("UTF-16", p.Conversion);
        AssertSameEventsAsLsass(p.Path);
    }

    [Fact]
    public void Utf16_big_endian_and_utf16_without_a_byte_order_mark_are_recognised_too()
    {
        var text = string.Join("\n", LsassLines) + "\n";
        var bigEndian = Write("be.json", [.. Encoding.BigEndianUnicode.GetPreamble(), .. Encoding.BigEndianUnicode.GetBytes(text)]);
        var noBom = Write("nobom.json", Encoding.Unicode.GetBytes(text));

        var prepared = Prepare(bigEndian, noBom);

        Assert.Equal(["UTF-16", "UTF-16"], prepared.Select(p => p.Conversion));
        AssertSameEventsAsLsass(prepared[0].Path);
        AssertSameEventsAsLsass(prepared[1].Path);
    }

    [Fact]
    public void A_pretty_printed_json_array_becomes_one_event_per_line()
    {
        var events = LsassLines.Select(l => JsonDocument.Parse(l).RootElement).ToList();
        var input = Write("lsass-array.json", JsonSerializer.SerializeToUtf8Bytes(events, new JsonSerializerOptions { WriteIndented = true }));

        var p = Assert.Single(Prepare(input));

        Assert.Equal("JSON documents (184) one per line", p.Conversion);
        AssertSameEventsAsLsass(p.Path);
    }

    [Fact]
    public void A_cloudtrail_records_wrapper_on_one_line_is_unwrapped_into_its_events()
    {
        var input = Write("cloudtrail.json", """{"Records":[{"eventSource":"cloudtrail.amazonaws.com","eventName":"StopLogging"},{"eventSource":"guardduty.amazonaws.com","eventName":"DeleteDetector"}]}"""u8.ToArray());

        var p = Assert.Single(Prepare(input));

        Assert.Equal(["""{"eventSource":"cloudtrail.amazonaws.com","eventName":"StopLogging"}""", """{"eventSource":"guardduty.amazonaws.com","eventName":"DeleteDetector"}"""], File.ReadAllLines(p.Path));
    }

    [Fact]
    public void Pretty_printed_windows_event_documents_one_after_another_become_one_line_each()
    {
        var regression = Path.Combine(EngineStateTests.FindRepoRoot(), "..", "shared", "testdata", "sigma", "regression", "rules", "windows",
            "process_creation", "proc_creation_win_sc_stop_service", "81bcb81b-5b1f-474b-b373-52c871aaa7b1.json");
        var doc = File.ReadAllText(regression);
        var input = Write("two.json", Encoding.UTF8.GetBytes(doc + "\n" + doc));

        var p = Assert.Single(Prepare(input));

        var lines = File.ReadAllLines(p.Path);
        Assert.Equal(2, lines.Length);
        Assert.All(lines, l => Assert.True(JsonElement.DeepEquals(JsonDocument.Parse(doc).RootElement, JsonDocument.Parse(l).RootElement)));
        Assert.Contains("\"Image\":\"C:\\\\Windows\\\\System32\\\\sc.exe\"", lines[0], StringComparison.Ordinal);
    }

    [Fact]
    public void Broken_json_is_shipped_as_its_lines_and_the_reason_is_said()
    {
        var input = Write("broken.json", "[{\"EventID\": 1,\n \"Image\": \"x\"\n"u8.ToArray());

        var p = Assert.Single(Prepare(input));

        Assert.Equal(input, p.Path);
        Assert.Contains(_log, l => l.Contains("broken.json: looks like JSON but is not valid JSON", StringComparison.Ordinal));
    }

    [Fact]
    public void A_directory_is_searched_recursively_and_rule_files_in_it_are_skipped()
    {
        Write("logs/b/auth.log", "Nov 22 10:00:00 web1 sshd[1]: Failed password for root from 203.0.113.1 port 1 ssh2\n"u8.ToArray());
        Write("logs/a.json", File.ReadAllBytes(Lsass));
        Write("logs/info.yml", "id: x\n"u8.ToArray());

        var prepared = Prepare(Path.Combine(_dir, "logs"));

        Assert.Equal([Path.Combine(_dir, "logs", "a.json"), Path.Combine(_dir, "logs", "b", "auth.log")], prepared.Select(p => p.Path));
        Assert.Equal([$"demo: skipped 1 files that are not logs (.yml) under {Path.Combine(_dir, "logs")}"], _log);
    }

    [Fact]
    public void A_glob_is_expanded_in_the_file_name_and_across_directories_with_two_stars()
    {
        Write("g/x1.log", "a\n"u8.ToArray());
        Write("g/x2.log", "b\n"u8.ToArray());
        Write("g/y.log", "c\n"u8.ToArray());
        Write("g/deep/x3.log", "d\n"u8.ToArray());

        Assert.Equal([Path.Combine(_dir, "g", "x1.log"), Path.Combine(_dir, "g", "x2.log")], Prepare(Path.Combine(_dir, "g", "x*.log")).Select(p => p.Path));
        Assert.Equal([Path.Combine(_dir, "g", "deep", "x3.log"), Path.Combine(_dir, "g", "x1.log"), Path.Combine(_dir, "g", "x2.log")],
            Prepare(Path.Combine(_dir, "g", "**", "x?.log")).Select(p => p.Path));
        var none = Assert.Throws<DemoInputs.InputException>(() => Prepare(Path.Combine(_dir, "g", "z*.log")));
        Assert.Equal($"input '{Path.Combine(_dir, "g", "z*.log")}' matches no file", none.Message);
    }

    [Fact]
    public void Binary_windows_and_journal_logs_are_refused_with_what_to_run_instead()
    {
        var evtx = Write("Security.evtx", [.. "ElfFile\0"u8, .. new byte[120]]);
        var journal = Write("system.journal", [.. "LPKSHHRH"u8, .. new byte[120]]);
        var missing = Path.Combine(_dir, "nope.log");

        Assert.Contains("a binary Windows event log (.evtx): export it as JSON lines first (e.g. `evtx_dump -o jsonl Security.evtx`",
            Assert.Throws<DemoInputs.InputException>(() => Prepare(evtx)).Message, StringComparison.Ordinal);
        Assert.Contains("export it first with `journalctl --file system.journal -o json > journal.json`",
            Assert.Throws<DemoInputs.InputException>(() => Prepare(journal)).Message, StringComparison.Ordinal);
        Assert.Equal($"input file '{missing}' does not exist", Assert.Throws<DemoInputs.InputException>(() => Prepare(missing)).Message);
    }

    [Fact]
    public void In_a_directory_a_binary_file_is_skipped_with_a_reason_and_the_logs_still_ship()
    {
        Write("var/wtmp", [1, 0, 0, 0, 0x9c, 0x11, 0, 0, 0, 0, 0, 0, 0xff, 0x7e]);
        Write("var/auth.log", "Nov 22 10:00:00 web1 sshd[1]: Failed password for root from 203.0.113.1 port 1 ssh2\n"u8.ToArray());

        var p = Assert.Single(Prepare(Path.Combine(_dir, "var")));

        Assert.Equal(Path.Combine(_dir, "var", "auth.log"), p.Path);
        Assert.Contains(_log, l => l.StartsWith("demo: skipping " + Path.Combine(_dir, "var", "wtmp") + ": binary data, not a text log (NUL bytes", StringComparison.Ordinal));
    }

    [Fact]
    public void A_binary_file_named_as_an_input_is_shipped_anyway_with_a_warning()
    {
        var input = Write("crashed.log", [0, 0, 0, 0, 0, 0, 0, 0, .. "Nov 22 10:00:00 web1 sshd[1]: Failed password for root from 203.0.113.1 port 1 ssh2\n"u8]);

        var p = Assert.Single(Prepare(input));

        Assert.Equal(input, p.Path);
        Assert.Contains(_log, l => l == $"demo: {input}: binary data, not a text log (NUL bytes, neither UTF-16 nor an archive we unpack); shipping its lines anyway because it was named as an input");
    }

    [Fact]
    public void Converting_again_gives_the_same_copy_path_so_record_ids_repeat()
    {
        using var packed = new MemoryStream();
        using (var gzip = new GZipStream(packed, CompressionLevel.Fastest, leaveOpen: true)) gzip.Write("line\n"u8);
        var input = Write("a.log.gz", packed.ToArray());

        var first = Assert.Single(Prepare(input)).Path;
        var second = Assert.Single(Prepare(input)).Path;

        Assert.Equal(first, second);
    }
}
