using Siem.Rules;
using Siem.Rules.Correlation;

namespace Siem.Api.Rules;

public sealed partial class RuleStore
{
    /// <summary>
    /// Loads and compiles YAML as the engine would; errors carry line and column within the text. A valid upload holds
    /// at least one rule or correlation with an id that is a safe file name.
    /// </summary>
    public static RuleValidation Validate(string yaml)
    {
        ArgumentNullException.ThrowIfNull(yaml);
        var set = RuleLoader.LoadYaml(yaml, "uploaded.yml");
        var compiled = CompiledRuleSet.Compile(set);
        var errors = set.Errors.Concat(compiled.CompileErrors).ToList();
        var ids = set.Rules.Select(r => r.Id).Concat(set.Correlations.OfType<CorrelationRule>().Select(c => c.Key)).ToList();
        if (errors.Count == 0 && ids.Count == 0)
            errors.Add(new RuleLoadError("uploaded.yml", 1, 1, null, "no rule in the text: expected a Sigma rule or correlation (title, id, logsource, detection)", false));
        foreach (var id in ids.Where(i => !IsSafeId(i)))
            errors.Add(new RuleLoadError("uploaded.yml", 1, 1, id, "the rule id may only hold letters, digits, '-', '_' and '.' (it names the stored file)", false));
        return new RuleValidation(set, errors, ids);
    }

    /// <summary>
    /// Stores a new rule file (<paramref name="replaceId"/> null) or replaces an uploaded one. Refuses invalid YAML, an id
    /// that belongs to a pack (packs are read-only: copy the rule under a new id), a new rule whose id exists, and an
    /// update whose YAML changed the id.
    /// </summary>
    public RuleSaveResult Save(string yaml, string? replaceId)
    {
        var validation = Validate(yaml);
        if (!validation.IsValid) return new RuleSaveResult(RuleSaveOutcome.Invalid, null, validation.Errors);
        string id = validation.Ids[0];
        var existing = List();
        var packIds = existing.Where(r => r.Source == "pack").Select(r => r.Id).ToHashSet(StringComparer.Ordinal);
        var clash = validation.Ids.FirstOrDefault(packIds.Contains);
        if (clash != null)
            return Problem(RuleSaveOutcome.Conflict, $"rule '{clash}' belongs to a read-only pack; upload your version under a new id");
        if (replaceId == null && existing.Any(r => r.Id == id))
            return Problem(RuleSaveOutcome.Conflict, $"a rule with id '{id}' already exists; update it instead (PUT /api/rules/{id})");
        if (replaceId != null && replaceId != id)
            return Problem(RuleSaveOutcome.Invalid, $"the YAML's id '{id}' differs from the rule being updated '{replaceId}'");
        if (replaceId != null && !File.Exists(FileFor(replaceId)))
            return Problem(RuleSaveOutcome.NotFound, $"no uploaded rule '{replaceId}'");
        lock (_gate)
        {
            string path = FileFor(id);
            string tmp = path + ".tmp";
            File.WriteAllText(tmp, yaml);
            File.Move(tmp, path, overwrite: true);
        }
        Changed?.Invoke();
        return new RuleSaveResult(RuleSaveOutcome.Saved, List().FirstOrDefault(r => r.Id == id), []);
    }

    private string FileFor(string id) => Path.Combine(_dir, id + ".yml");

    private static RuleSaveResult Problem(RuleSaveOutcome outcome, string message) =>
        new(outcome, null, [new RuleLoadError("uploaded.yml", 0, 0, null, message, false)]);

    private static bool IsSafeId(string id) =>
        id.Length is > 0 and <= 128 && id[0] != '.' && id.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.');
}
