using System.Text.RegularExpressions;

namespace Siem.Host.Deploy;

/// <summary>
/// Reads the keys of an annotated sample config (deploy/server/siem.yml, deploy/agent/siem-agent.yml): each
/// <c>key: value  # comment</c> line, including commented-out optional keys (<c># key: value</c>, the key at its
/// sibling's indentation after "# ") and elements of lists of maps (<c>- type: file</c> → <c>sources[].type</c>),
/// with its dotted path, sample values and comment. The samples are the documented schema: the loaders reject
/// unknown keys, and tests load the samples.
/// </summary>
internal static partial class SampleConfigKeys
{
    public sealed record Key(string Path, string Value, string Description, bool Optional);

    [GeneratedRegex(@"^(?<indent> *)(?<hash>#\s)?(?<pad> *)(?<key>[a-z_][a-z0-9_]*):(?:\s+(?<value>[^#]*?))?\s*(?:#\s?(?<comment>.*))?$")]
    private static partial Regex KeyLine();

    [GeneratedRegex(@"^(?<indent> *)(?<hash># +)?- +(?=[a-z_][a-z0-9_]*:(?:\s|$))")]
    private static partial Regex MapListItem();

    [GeneratedRegex(@"^\s*-\s+(?<item>[^#]*?)\s*(?:#.*)?$")]
    private static partial Regex ListItem();

    /// <summary>A comment continuing the one above: "#   # more" or a comment alone in the aligned comment column.</summary>
    [GeneratedRegex(@"^(?:\s*#\s+#|\s{20,}#)\s?(?<more>.*)$")]
    private static partial Regex ContinuedComment();

    public static IReadOnlyList<Key> Read(string file)
    {
        var keys = new List<Key>();
        var stack = new List<(int Indent, string Name)>();
        int last = -1;
        foreach (var raw in File.ReadLines(file))
        {
            if (raw.Trim().Length == 0) continue;
            var line = raw;
            if (MapListItem().Match(raw) is { Success: true } element)
            {
                // "- key: value" starts an element of a list of maps: its keys are children of "parent[]".
                int dash = element.Length - 2;
                int keyIndent = element.Groups["hash"].Success ? element.Groups["indent"].Length + element.Groups["hash"].Length - 2 + 2 : dash + 2;
                int parent = stack.FindLastIndex(s => s.Indent < keyIndent - 2);
                if (parent >= 0 && !stack[parent].Name.EndsWith("[]", StringComparison.Ordinal)) stack[parent] = (stack[parent].Indent, stack[parent].Name + "[]");
                line = raw[..dash] + "  " + raw[(dash + 2)..];
            }
            var m = KeyLine().Match(line);
            if (m.Success && (m.Groups["hash"].Success || !line.TrimStart().StartsWith('#')))
            {
                int indent = m.Groups["indent"].Length + m.Groups["pad"].Length;
                stack.RemoveAll(s => s.Indent >= indent);
                var path = string.Join('.', stack.Select(s => s.Name).Append(m.Groups["key"].Value));
                stack.Add((indent, m.Groups["key"].Value));
                last = Add(keys, new Key(path, m.Groups["value"].Value.Trim(), m.Groups["comment"].Value.Trim(), m.Groups["hash"].Success));
                continue;
            }
            if (last < 0) continue;
            if (!line.TrimStart().StartsWith('#') && ListItem().Match(line) is { Success: true } item && keys[last].Value.Length == 0)
            {
                keys[last] = keys[last] with { Value = item.Groups["item"].Value };
            }
            else if (ContinuedComment().Match(line) is { Success: true } more)
            {
                keys[last] = keys[last] with { Description = $"{keys[last].Description} {more.Groups["more"].Value.Trim()}".Trim() };
            }
        }
        return keys;
    }

    /// <summary>Adds a key, or merges a key seen again (another list element, another commented variant) by adding
    /// its sample value. Returns the key's index.</summary>
    private static int Add(List<Key> keys, Key key)
    {
        int i = keys.FindIndex(k => k.Path == key.Path);
        if (i < 0)
        {
            keys.Add(key);
            return keys.Count - 1;
        }
        var known = keys[i];
        keys[i] = known with
        {
            Value = key.Value.Length == 0 || known.Value.Split(" | ").Contains(key.Value) ? known.Value : $"{known.Value} | {key.Value}",
            Description = known.Description.Length > 0 ? known.Description : key.Description,
            Optional = known.Optional && key.Optional,
        };
        return i;
    }
}
