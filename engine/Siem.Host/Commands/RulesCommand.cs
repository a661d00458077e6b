using System.CommandLine;
using System.Text.Json;
using Siem.Rules;

namespace Siem.Host.Commands;

/// <summary>
/// <c>siem rules ...</c>: analyst tools for Sigma rules. <c>validate DIR|FILE... [--json]</c> loads and compiles
/// every document and reports per-document errors (file:line:column, rule id, field). Exit code: 0 when everything
/// loaded, 1 when at least one document failed (including a path that does not exist).
/// </summary>
internal static class RulesCommand
{
    public static Command Create()
    {
        var rules = new Command("rules", "Sigma rule tools: validate (and test) rules.");
        rules.Subcommands.Add(CreateValidate());
        rules.Subcommands.Add(RulesTestCommand.Create());
        rules.Subcommands.Add(RulesReplayCommand.Create());
        return rules;
    }

    private static Command CreateValidate()
    {
        var paths = new Argument<string[]>("paths") { Description = "Rule files or directories (searched recursively for *.yml, *.yaml)", Arity = ArgumentArity.OneOrMore };
        var json = new Option<bool>("--json") { Description = "Print the result as JSON on the last line" };
        var cmd = new Command("validate", "Load and compile Sigma rules, correlations and filters; report every document that fails.");
        cmd.Arguments.Add(paths);
        cmd.Options.Add(json);
        cmd.SetAction((ParseResult pr, CancellationToken ct) =>
        {
            var result = Validate(pr.GetValue(paths)!);
            if (pr.GetValue(json))
            {
                Console.WriteLine(result.ToJson());
            }
            else
            {
                foreach (var e in result.Errors)
                {
                    Console.WriteLine(e.ToString());
                }
                Console.WriteLine($"{result.Loaded} of {result.Total} documents loaded, {result.Errors.Count} failed ({result.Errors.Count(e => e.Unsupported)} unsupported)");
            }
            return Task.FromResult(result.Errors.Count == 0 ? 0 : 1);
        });
        return cmd;
    }

    internal static ValidationResult Validate(IReadOnlyList<string> paths)
    {
        var set = RuleLoader.Load(paths);
        var compiled = CompiledRuleSet.Compile(set);
        var errors = set.Errors.Concat(compiled.CompileErrors).ToList();
        var loaded = compiled.RuleCount + set.Correlations.Count + set.Filters.Count;
        return new ValidationResult(set.TotalDocuments, loaded, errors);
    }

    internal sealed record ValidationResult(int Total, int Loaded, IReadOnlyList<RuleLoadError> Errors)
    {
        public string ToJson() => JsonSerializer.Serialize(new
        {
            total = Total,
            loaded = Loaded,
            failed = Errors.Select(e => new
            {
                path = e.Path,
                line = e.Line,
                column = e.Column,
                rule_id = e.RuleId,
                unsupported = e.Unsupported,
                error = e.ToString(),
            }),
        });
    }
}
