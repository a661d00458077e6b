using System.Text;
using System.Text.Json;
using Siem.Collectors.Parsing;
using Siem.Core.Events;
using static Siem.Collectors.Tests.Parsing.ParserTestKit;

namespace Siem.Collectors.Tests.Parsing;

/// <summary>
/// The JSON-lines scanner against System.Text.Json on seeded mutations of real lines: it calls a line valid exactly when
/// JsonDocument reads it (after its lone surrogates are replaced) as an object, and then flattens it to the very fields
/// JsonFlattener makes from the document. Broken lines keep the fields read before the break.
/// </summary>
public class JsonLineScannerTests
{
    private const string Interesting = "{}[]:,\"\\/ntfrue-+.eE0123456789 \t\u00e9\ud800\udc00";

    [Theory]
    [InlineData(1, 64)]
    [InlineData(2, 64)]
    [InlineData(3, 3)]
    public void Scanner_agrees_with_JsonDocument_on_mutated_lines(int seed, int maxDepth)
    {
        var random = new Random(seed);
        var seeds = Seeds();
        int valid = 0, invalid = 0;
        for (int i = 0; i < 3000; i++)
        {
            string line = Mutate(seeds[random.Next(seeds.Length)], random);
            var check = JsonLineScanner.Check(line, maxDepth);
            var document = TryDocument(check.Sanitize(line), maxDepth);
            using (document)
            {
                Assert.True((check.Error is null) == (document is not null), $"seed {seed} line {i}: scanner says '{check.Error ?? "valid"}' at {check.ErrorAt}, JsonDocument {(document is null ? "fails" : "reads it")}: {line}");
                if (document is null)
                {
                    invalid++;
                    continue;
                }
                valid++;
                var expected = new LogEvent { RecordId = "" };
                JsonFlattener.Flatten(document.RootElement, "", expected);
                var actual = new LogEvent { RecordId = "" };
                JsonLineScanner.FlattenPrefix(check.Sanitize(line), maxDepth, actual);
                Assert.Equal(Render(expected), Render(actual));
            }
        }
        // Both outcomes are exercised, not just one.
        Assert.True(valid > 300 && invalid > 300, $"{valid} valid, {invalid} invalid");
    }

    [Fact]
    public void Broken_line_keeps_the_fields_read_before_the_break_and_is_tagged()
    {
        const string line = """{"user":{"name":"alice","roles":["admin","dev"]},"n":12,"message":"hi","cut":""";

        var e = Single(line);

        Assert.Equal(new[] { EcsFields.ParseFailureTag }, Tags(e));
        Assert.Equal(line, e.Get(EcsFields.Message)); // the whole line, not the JSON's own message
        Assert.Equal("alice", e.Get("user.name"));
        Assert.Equal(new[] { "admin", "dev" }, Values(e, "user.roles"));
        Assert.Equal("12", e.Get("n"));
        Assert.Equal($"invalid JSON at character {line.Length + 1}: expected a value, the line ended", e.Get("error.message"));
    }

    [Theory]
    [InlineData("""{"user":"a\ud800b","ok":true}""", "a\uFFFDb")]
    [InlineData("""{"user":"a\udc00\ud800","ok":true}""", "a\uFFFD\uFFFD")]
    public void Lone_surrogates_read_as_replacement_characters_and_the_rest_is_parsed(string line, string user)
    {
        var e = Single(line);

        Assert.Equal(user, e.Get("user"));
        Assert.Equal("true", e.Get("ok"));
        Assert.Equal(new[] { EcsFields.InvalidUtf8Tag }, Tags(e));
        Assert.Equal(line, e.Original);
    }

    [Fact]
    public void Raw_lone_surrogate_reads_as_a_replacement_character()
    {
        // Built here, not in [InlineData]: xunit's theory data would not carry a lone surrogate through unchanged.
        string line = "{\"user\":\"a" + '\ud800' + "b\",\"ok\":true}";

        var e = Single(line);

        Assert.Equal("a\uFFFDb", e.Get("user"));
        Assert.Equal(new[] { EcsFields.InvalidUtf8Tag }, Tags(e));
        Assert.Equal(line, e.Original);
    }

    [Fact]
    public void Escaped_surrogate_pairs_and_escapes_decode()
    {
        var e = Single("""{"emoji":"\ud83d\ude00","path":"C:\\Windows\/x","nl":"a\nb\u00e9"}""");

        Assert.Equal("\U0001F600", e.Get("emoji"));
        Assert.Equal("C:\\Windows/x", e.Get("path"));
        Assert.Equal("a\nbé", e.Get("nl"));
        Assert.Empty(Tags(e));
    }

    private static JsonDocument? TryDocument(string text, int maxDepth)
    {
        try
        {
            var document = JsonDocument.Parse(text, new JsonDocumentOptions { MaxDepth = maxDepth });
            if (document.RootElement.ValueKind == JsonValueKind.Object)
            {
                return document;
            }
            document.Dispose();
            return null;
        }
        catch (Exception e) when (e is JsonException or ArgumentException)
        {
            return null;
        }
    }

    private static string Render(LogEvent e) => string.Join("\n", e.Fields.OrderBy(f => f.Key, StringComparer.Ordinal)
        .Select(f => f.Key + "=" + (f.Value is string[] many ? "[" + string.Join("|", many) + "]" : (string)f.Value)));

    private static string Mutate(string line, Random random)
    {
        var sb = new StringBuilder(line);
        for (int m = random.Next(0, 3); m > 0; m--)
        {
            int at = random.Next(sb.Length + 1);
            switch (random.Next(3))
            {
                case 0 when at < sb.Length:
                    sb[at] = Interesting[random.Next(Interesting.Length)];
                    break;
                case 1:
                    sb.Insert(at, Interesting[random.Next(Interesting.Length)]);
                    break;
                case 2 when at < sb.Length:
                    sb.Remove(at, 1);
                    break;
                default:
                    break;
            }
        }
        return sb.ToString();
    }

    private static string[] Seeds()
    {
        var seeds = new List<string>
        {
            """{"@timestamp":"2026-11-22T04:00:00.250Z","user":{"name":"alice","roles":["admin","dev",null,3]},"bytes":1.5e3,"ok":true,"none":null,"n":-12}""",
            """{"items":[{"a":1},{"a":[2,{"b":[]}]}],"e":{},"a":[],"dup":1,"dup":"two"}""",
            """{"s":"tab\tq\"uote\\ \u0041\ud83d\ude00 \/","deep":{"a":{"b":{"c":{"d":[[1],[2]]}}}}}""",
            """{"message":"x","x":0,"y":-0.5E-3,"z":[true,false,"t"]}""",
        };
        seeds.AddRange(File.ReadLines(Directory.GetFiles(Path.Combine(TestData, "otrf"), "psh_lsass_memory_dump_comsvcs_*").Single()).Take(10));
        return [.. seeds];
    }
}
