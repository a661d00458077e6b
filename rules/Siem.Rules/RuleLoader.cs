using Siem.Rules.Correlation;
using Siem.Rules.Detection;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Siem.Rules;

/// <summary>
/// Loads Sigma YAML (files or directories, recursively <c>*.yml</c>/<c>*.yaml</c> except rule unit tests
/// <c>*.tests.yml</c>; multi-document files allowed; field-mapping pipeline documents are skipped).
/// Each document is one of: a correlation rule (has <c>correlation:</c>; handed to
/// <see cref="CorrelationRuleParser.TryParse"/>), a filter (has <c>filter:</c>), or a detection rule. A broken
/// document becomes a <see cref="RuleLoadError"/> naming file, line, column and field; the others still load.
/// </summary>
public static partial class RuleLoader
{
    public static RuleSet Load(IEnumerable<string> filesOrDirectories)
    {
        ArgumentNullException.ThrowIfNull(filesOrDirectories);
        var acc = new Accumulator();
        foreach (var entry in filesOrDirectories)
        {
            if (Directory.Exists(entry))
            {
                var files = Directory.EnumerateFiles(entry, "*", SearchOption.AllDirectories)
                    .Where(f => f.EndsWith(".yml", StringComparison.OrdinalIgnoreCase) || f.EndsWith(".yaml", StringComparison.OrdinalIgnoreCase))
                    // Rule unit tests (foo.tests.yml beside foo.yml) are not rules.
                    .Where(f => !f.EndsWith(".tests.yml", StringComparison.OrdinalIgnoreCase) && !f.EndsWith(".tests.yaml", StringComparison.OrdinalIgnoreCase))
                    .Order(StringComparer.Ordinal);
                // YAML parsing dominates loading; files are independent, so parse them in parallel and merge in order.
                var parts = files.AsParallel().AsOrdered().Select(f =>
                {
                    var part = new Accumulator();
                    LoadFile(f, part);
                    return part;
                }).ToList();
                foreach (var part in parts)
                {
                    acc.Add(part);
                }
            }
            else if (File.Exists(entry))
            {
                LoadFile(entry, acc);
            }
            else
            {
                acc.Errors.Add(new RuleLoadError(entry, 0, 0, null, "no such file or directory", false));
                acc.Documents++;
            }
        }
        return acc.ToRuleSet();
    }

    /// <summary>Loads rules from YAML text; <paramref name="path"/> is used in errors and <see cref="SigmaRule.SourcePath"/>.</summary>
    public static RuleSet LoadYaml(string yaml, string path)
    {
        var acc = new Accumulator();
        LoadText(yaml, path, acc);
        return acc.ToRuleSet();
    }

    private static void LoadFile(string file, Accumulator acc)
    {
        string text;
        try
        {
            text = File.ReadAllText(file);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            acc.Errors.Add(new RuleLoadError(file, 0, 0, null, $"cannot read: {ex.Message}", false));
            acc.Documents++;
            return;
        }
        LoadText(text, file, acc);
    }

    /// <summary>Deeper flow nesting than any rule needs; YamlDotNet's parse time grows with the square of the depth
    /// (37,000 '[' took 7-13 s, found by fuzzing), so deeper input is refused before parsing.</summary>
    internal const int MaxFlowDepth = 64;

    private static void LoadText(string text, string path, Accumulator acc)
    {
        if (TooDeep(text, out int deepLine, out int deepColumn))
        {
            acc.Errors.Add(new RuleLoadError(path, deepLine, deepColumn, null, $"invalid YAML: flow collections ([ ] or {{ }}) nested deeper than {MaxFlowDepth} levels", false));
            acc.Documents++;
            return;
        }
        var stream = new YamlStream();
        var parser = new Parser(new StringReader(text));
        RuleLoadError? syntaxError = null;
        try
        {
            stream.Load(parser);
        }
        catch (YamlException ex)
        {
            // Documents before the broken one are kept by YamlStream and still load.
            var msg = ex.InnerException is null ? ex.Message : $"{ex.Message} {ex.InnerException.Message}";
            syntaxError = new RuleLoadError(path, (int)ex.Start.Line, (int)ex.Start.Column, null, $"invalid YAML: {msg}", false);
        }
        catch (Exception ex) when (ex is InvalidOperationException or ArgumentException)
        {
            // YamlDotNet's scanner sometimes fails without a YamlException; report where parsing got to.
            var at = parser.Current?.End;
            syntaxError = new RuleLoadError(path, (int)(at?.Line ?? 0), (int)(at?.Column ?? 0), null, $"invalid YAML after this point: {ex.Message}", false);
        }
        var index = 0;
        foreach (var doc in stream.Documents)
        {
            index++;
            if (doc.RootNode is YamlMappingNode m && m.Children.ContainsKey(new YamlScalarNode("transformations")) && !m.Children.ContainsKey(new YamlScalarNode("detection")))
            {
                // A field-mapping pipeline kept beside the rules (rules/packs/pipelines): not a rule document.
                continue;
            }
            acc.Documents++;
            if (doc.RootNode is not YamlMappingNode root)
            {
                acc.Errors.Add(new RuleLoadError(path, (int)doc.RootNode.Start.Line, (int)doc.RootNode.Start.Column, null,
                    "a rule document must be a YAML map (title, logsource, detection, ...)", false));
                continue;
            }
            LoadDocument(root, path, index, acc);
        }
        if (syntaxError is not null)
        {
            acc.Documents++;
            acc.Errors.Add(syntaxError);
        }
    }

    private static void LoadDocument(YamlMappingNode root, string path, int index, Accumulator acc)
    {
        if (root.Children.ContainsKey(new YamlScalarNode("correlation")))
        {
            if (CorrelationRuleParser.TryParse(root, path, out var corr, out var corrError) && corr is not null)
            {
                acc.Correlations.Add(corr);
            }
            else
            {
                acc.Errors.Add(corrError ?? new RuleLoadError(path, DetectionParser.Line(root), DetectionParser.Col(root), null, "correlation rule could not be parsed", false));
            }
            return;
        }
        var id = ScalarOf(root, "id");
        try
        {
            if (root.Children.ContainsKey(new YamlScalarNode("filter")))
            {
                acc.Filters.Add(ParseFilter(root, path));
            }
            else
            {
                acc.Rules.Add(ParseRule(root, path, index));
            }
        }
        catch (RuleParseException ex)
        {
            acc.Errors.Add(new RuleLoadError(path, ex.Line, ex.Column, id, ex.Message, ex.Unsupported));
        }
    }

    private sealed class Accumulator
    {
        public List<SigmaRule> Rules { get; } = [];

        public List<object> Correlations { get; } = [];

        public List<SigmaFilter> Filters { get; } = [];

        public List<RuleLoadError> Errors { get; } = [];

        public int Documents { get; set; }

        public void Add(Accumulator other)
        {
            Rules.AddRange(other.Rules);
            Correlations.AddRange(other.Correlations);
            Filters.AddRange(other.Filters);
            Errors.AddRange(other.Errors);
            Documents += other.Documents;
        }

        public RuleSet ToRuleSet() => new(Rules, Correlations, Filters, Errors, Documents);
    }
    /// <summary>Where <c>[</c>/<c>{</c> first nest deeper than <see cref="MaxFlowDepth"/>, outside quotes and comments (a cheap, conservative scan).</summary>
    private static bool TooDeep(string text, out int line, out int column)
    {
        int depth = 0;
        line = 1;
        column = 0;
        char quote = '\0';
        bool comment = false;
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            column++;
            if (c == '\n')
            {
                line++;
                column = 0;
                comment = false;
                continue;
            }
            if (comment) continue;
            if (quote != '\0')
            {
                if (c == '\\' && quote == '"') i++;
                else if (c == quote) quote = '\0';
                continue;
            }
            switch (c)
            {
                case '"' or '\'' when i == 0 || char.IsWhiteSpace(text[i - 1]) || text[i - 1] is '[' or '{' or ',' or ':':
                    // Only where a quoted scalar can start: an apostrophe inside plain text ("don't") is not a quote.
                    quote = c;
                    break;
                case '#' when i == 0 || char.IsWhiteSpace(text[i - 1]):
                    comment = true;
                    break;
                case '[' or '{':
                    if (++depth > MaxFlowDepth) return true;
                    break;
                case ']' or '}':
                    if (depth > 0) depth--;
                    break;
            }
        }
        return false;
    }
}
