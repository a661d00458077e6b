using System.Text.Json;
using Siem.Core.Security;
using Siem.Rules;
using Siem.Rules.Correlation;
using Siem.Rules.RuleTests;

namespace Siem.Api.Rules;

/// <summary>
/// The rules the engine runs: read-only packs plus rules uploaded through the API (one file per rule,
/// <c>&lt;rules dir&gt;/&lt;id&gt;.yml</c>), and the ids switched off (<c>disabled.json</c> in the same folder).
/// <see cref="Changed"/> fires after every change so a host can reload its detector.
/// </summary>
public sealed partial class RuleStore
{
    private const string DisabledFile = "disabled.json";
    private readonly object _gate = new();
    private readonly string _dir;
    private readonly IReadOnlyList<string> _packFiles;
    private HashSet<string> _disabled;

    public RuleStore(string customDir, IReadOnlyList<string> packs)
    {
        ArgumentNullException.ThrowIfNull(packs);
        _dir = customDir ?? throw new ArgumentNullException(nameof(customDir));
        Directory.CreateDirectory(_dir);
        _packFiles = [.. RuleTestRunner.RuleFiles(packs)];
        _disabled = LoadDisabled();
    }

    /// <summary>Raised after an upload, update, enable or disable.</summary>
    public event Action? Changed;

    public string CustomDir => _dir;

    /// <summary>Every rule (enabled or not) with where it comes from; load errors of stored files are in <see cref="RuleSetErrors"/>.</summary>
    public IReadOnlyList<RuleInfo> List()
    {
        var (packs, custom) = LoadAll();
        var disabled = Volatile.Read(ref _disabled);
        return [.. Describe(packs, "pack", disabled), .. Describe(custom, "custom", disabled)];
    }

    /// <summary>Problems in the stored rule files (a pack or an uploaded rule that no longer loads).</summary>
    public IReadOnlyList<RuleLoadError> RuleSetErrors()
    {
        var (packs, custom) = LoadAll();
        return [.. packs.Errors, .. custom.Errors];
    }

    /// <summary>The YAML file that holds a rule, or null.</summary>
    public (RuleInfo Rule, string Yaml)? Get(string id)
    {
        var rule = List().FirstOrDefault(r => r.Id == id);
        return rule == null ? null : (rule, File.ReadAllText(rule.Path));
    }

    /// <summary>The enabled rules (packs + uploads, minus disabled ids), as the engine should run them.</summary>
    public RuleSet EnabledRuleSet()
    {
        var (packs, custom) = LoadAll();
        var disabled = Volatile.Read(ref _disabled);
        var rules = packs.Rules.Concat(custom.Rules).Where(r => !disabled.Contains(r.Id)).ToList();
        var correlations = packs.Correlations.Concat(custom.Correlations)
            .Where(c => c is not CorrelationRule cr || !disabled.Contains(cr.Key)).ToList();
        var filters = packs.Filters.Concat(custom.Filters).ToList();
        return new RuleSet(rules, correlations, filters, [.. packs.Errors, .. custom.Errors], packs.TotalDocuments + custom.TotalDocuments);
    }

    /// <summary>
    /// Re-reads the disabled list and raises <see cref="Changed"/>: for a process that runs the rules while another (an
    /// API elsewhere on the shared data dir) changed them. Uploaded rule files are read afresh on every load anyway.
    /// </summary>
    public void Refresh()
    {
        lock (_gate) _disabled = LoadDisabled();
        Changed?.Invoke();
    }

    public bool SetEnabled(string id, bool enabled)
    {
        if (!List().Any(r => r.Id == id)) return false;
        lock (_gate)
        {
            var next = new HashSet<string>(_disabled, StringComparer.Ordinal);
            if (enabled) next.Remove(id); else next.Add(id);
            var json = JsonSerializer.Serialize(next.Order(StringComparer.Ordinal).ToList());
            SecureFile.WriteAllText(Path.Combine(_dir, DisabledFile), json);
            _disabled = next;
        }
        Changed?.Invoke();
        return true;
    }

    private (RuleSet Packs, RuleSet Custom) LoadAll()
    {
        var packs = RuleLoader.Load(_packFiles);
        var custom = RuleLoader.Load(Directory.EnumerateFiles(_dir, "*.yml").Order(StringComparer.Ordinal).ToList());
        return (packs, custom);
    }

    private static IEnumerable<RuleInfo> Describe(RuleSet set, string source, HashSet<string> disabled)
    {
        foreach (var r in set.Rules)
            yield return new RuleInfo(r.Id, r.Title, string.IsNullOrEmpty(r.Level) ? "medium" : r.Level, r.Status, "detection", source,
                r.SourcePath, !disabled.Contains(r.Id), r.Tags, r.Description);
        foreach (var c in set.Correlations.OfType<CorrelationRule>())
            yield return new RuleInfo(c.Key, c.Title, c.Level, c.Status, "correlation", source, c.SourcePath,
                !disabled.Contains(c.Key), c.Tags, c.Description);
    }

    private HashSet<string> LoadDisabled()
    {
        var path = Path.Combine(_dir, DisabledFile);
        if (!File.Exists(path)) return new(StringComparer.Ordinal);
        try
        {
            return new HashSet<string>(JsonSerializer.Deserialize<List<string>>(File.ReadAllText(path)) ?? [], StringComparer.Ordinal);
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"{path}: the disabled-rules list is not a JSON array of rule ids ({ex.Message})", ex);
        }
    }
}
