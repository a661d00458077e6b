using Siem.Host.Server.Roles;

namespace Siem.Host.Server;

/// <summary>
/// The roles <c>siem serve --roles a,b</c> knows. To add one: implement <see cref="IServerRole"/> under Server/Roles and add one line
/// here. <c>section</c> names the top-level YAML key the role owns (null = none); the config loader accepts it and hands it to the role
/// through <see cref="ServerContext.Section"/>.
/// </summary>
internal static class ServerRoles
{
    private static readonly (string Name, string? Section, Func<IServerRole> Create)[] All =
    [
        ("engine", null, () => new EngineRole()),
        ("lineage", null, () => new LineageRole()),
        ("api", "api", () => new ApiRole()),
    ];

    public static IReadOnlyList<string> Names => [.. All.Select(r => r.Name)];

    /// <summary>Top-level YAML keys owned by roles.</summary>
    public static IReadOnlyList<string> Sections => [.. All.Where(r => r.Section != null).Select(r => r.Section!)];

    /// <summary>Creates the named roles in registration order; an unknown name throws with the list of known ones.</summary>
    public static IReadOnlyList<IServerRole> Create(IEnumerable<string> names)
    {
        var wanted = new HashSet<string>(StringComparer.Ordinal);
        foreach (var raw in names)
        {
            var name = raw.Trim();
            if (name.Length == 0) continue;
            if (!All.Any(r => r.Name == name))
                throw new ArgumentException($"unknown role '{name}' (known roles: {string.Join(", ", Names)})");
            wanted.Add(name);
        }
        if (wanted.Count == 0) throw new ArgumentException($"no role selected (known roles: {string.Join(", ", Names)})");
        return [.. All.Where(r => wanted.Contains(r.Name)).Select(r => r.Create())];
    }
}
