namespace Siem.Host.Fuzz;

/// <summary>The fuzz targets by name (what <c>siem fuzz TARGET</c> accepts).</summary>
internal static class FuzzTargets
{
    public static IReadOnlyList<string> Names { get; } = ["syslog", "auditd", "json", "sigma", "envelope"];

    /// <summary>A fresh target; an unknown name throws with the list of known ones.</summary>
    public static FuzzTarget Create(string name) => name switch
    {
        "syslog" => ParserFuzzTarget.Syslog(),
        "auditd" => ParserFuzzTarget.Auditd(),
        "json" => ParserFuzzTarget.Json(),
        "sigma" => new SigmaFuzzTarget(),
        "envelope" => new EnvelopeFuzzTarget(),
        _ => throw new ArgumentException($"unknown fuzz target '{name}' (known: {string.Join(", ", Names)})", nameof(name)),
    };
}
