using System.Text.Json;
using System.Text.Json.Serialization;
using Siem.Core.Security;

namespace Siem.Lineage.Purge;

/// <summary>Reads and writes purge jobs under <c>&lt;data&gt;/purge/</c> (atomic replace, 0600, fsynced).</summary>
public sealed class PurgeJobStore
{
    internal static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
    };

    public PurgeJobStore(string dataDir)
    {
        Directory = Path.Combine(Path.GetFullPath(dataDir), "purge");
    }

    public string Directory { get; }

    public string JobPath(string id) => Path.Combine(Directory, id + ".json");

    public string KeyPath(string id) => Path.Combine(Directory, id + ".key");

    public string CertificatePath(string id) => Path.Combine(Directory, id + ".certificate.json");

    public void Save(PurgeJob job)
    {
        ArgumentNullException.ThrowIfNull(job);
        SecureFile.WriteAllBytes(JobPath(job.Id), JsonSerializer.SerializeToUtf8Bytes(job, Json));
    }

    public PurgeJob Load(string id)
    {
        var path = JobPath(id);
        if (!File.Exists(path)) throw new FileNotFoundException($"no purge job '{id}' ({path})", path);
        try
        {
            return JsonSerializer.Deserialize<PurgeJob>(File.ReadAllBytes(path), Json)
                ?? throw new InvalidDataException($"{path}: empty purge job file");
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"{path}: not a valid purge job (line {ex.LineNumber + 1}): {ex.Message}", ex);
        }
    }

    /// <summary>Every job on disk, oldest first.</summary>
    public IReadOnlyList<PurgeJob> List()
    {
        if (!System.IO.Directory.Exists(Directory)) return [];
        return [.. System.IO.Directory.GetFiles(Directory, "*.json")
            .Where(f => !f.EndsWith(".certificate.json", StringComparison.Ordinal) && !Path.GetFileName(f).StartsWith("forward-filter", StringComparison.Ordinal))
            .Select(f => Load(Path.GetFileNameWithoutExtension(f)))
            .OrderBy(j => j.RequestedAt)];
    }
}
