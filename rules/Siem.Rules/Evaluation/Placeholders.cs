using System.Text;
using Siem.Rules.Detection;

namespace Siem.Rules.Evaluation;

/// <summary>Resolves <c>|expand</c> placeholders (<c>%name%</c>, <c>\%</c> = literal percent) from <see cref="CompileOptions.Placeholders"/>.</summary>
internal static class Placeholders
{
    public static IReadOnlyList<ValueSpec> Resolve(IReadOnlyList<ValueSpec> specs, CompileOptions options)
    {
        var result = new List<ValueSpec>();
        foreach (var s in specs)
        {
            if (s.Kind != ValueKind.Placeholder)
            {
                result.Add(s);
                continue;
            }
            foreach (var text in Expand(s.Text!, options))
            {
                result.Add(new ValueSpec { Kind = ValueKind.Glob, Glob = GlobPattern.Parse(text).Wrap(s.LeadingStar, s.TrailingStar), Cased = s.Cased });
            }
        }
        return result;
    }

    /// <summary>Every combination of the placeholder values; throws <see cref="KeyNotFoundException"/> naming an undefined placeholder.</summary>
    public static IEnumerable<string> Expand(string raw, CompileOptions options)
    {
        IEnumerable<string> acc = [""];
        var literal = new StringBuilder();
        for (var i = 0; i < raw.Length; i++)
        {
            if (raw[i] == '\\' && i + 1 < raw.Length && raw[i + 1] == '%')
            {
                literal.Append('%');
                i++;
                continue;
            }
            var end = raw[i] == '%' ? raw.IndexOf('%', i + 1) : -1;
            if (end < 0)
            {
                literal.Append(raw[i]);
                continue;
            }
            var name = raw[(i + 1)..end];
            if (!options.Placeholders.TryGetValue(name, out var values) || values.Count == 0)
            {
                throw new KeyNotFoundException($"placeholder '%{name}%' has no values (set CompileOptions.Placeholders)");
            }
            var prefix = literal.ToString();
            literal.Clear();
            acc = acc.SelectMany(a => values.Select(v => a + prefix + v)).ToList();
            i = end;
        }
        var tail = literal.ToString();
        return acc.Select(a => a + tail).ToList();
    }
}
