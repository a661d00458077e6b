namespace Siem.Lineage;

/// <summary>Where lineage keeps its files under a data directory: everything lives in <c>&lt;data&gt;/lineage/</c>.</summary>
public static class LineagePaths
{
    public static string Directory(string dataDir) => Path.Combine(Path.GetFullPath(dataDir), "lineage");

    /// <summary>The ledger database: <c>&lt;data&gt;/lineage/ledger.db</c>.</summary>
    public static string Ledger(string dataDir) => Path.Combine(Directory(dataDir), "ledger.db");

    /// <summary>The secret subject-pseudonym key (32 bytes, mode 0600): <c>&lt;data&gt;/lineage/lineage.key</c>.</summary>
    public static string Key(string dataDir) => Path.Combine(Directory(dataDir), "lineage.key");

    /// <summary>Which fields identify a person (optional JSON): <c>&lt;data&gt;/lineage/subjects.json</c>.</summary>
    public static string SubjectFields(string dataDir) => Path.Combine(Directory(dataDir), "subjects.json");

    /// <summary>The per-subject data keys for crypto-shredding: <c>&lt;data&gt;/lineage/keys.db</c>.</summary>
    public static string KeyStore(string dataDir) => Path.Combine(Directory(dataDir), "keys.db");
}
