using System.Text.Json;

namespace Siem.Collectors.Agent;

/// <summary>Contents of <c>status.json</c> in the state dir (what <c>siem-agent status</c> prints).</summary>
public sealed record AgentStatus
{
    public string AgentId { get; init; } = "";
    public string Tenant { get; init; } = "";
    public int Pid { get; init; }
    public DateTimeOffset UpdatedAt { get; init; }
    public bool Connected { get; init; }
    public long LinesRead { get; init; }
    public long RecordsShipped { get; init; }
    public long BatchesAcked { get; init; }
    public long BatchesSpooled { get; init; }
    public long BatchesDrained { get; init; }
    public long RecordsDropped { get; init; }
    public long BatchesDropped { get; init; }
    public long Errors { get; init; }
    public long SpoolBytes { get; init; }
    public long SpoolBatches { get; init; }
    public ulong NextBatchSeq { get; init; }

    /// <summary>The engine key new batches are sealed to, and why the last check with the engine failed (null = it worked).</summary>
    public string EngineKeyId { get; init; } = "";
    public string? KeyProblem { get; init; }

    /// <summary>The agent process itself, so an operator (and <c>siem bench agent</c>) sees what it costs the host.</summary>
    public long CpuMs { get; init; }
    public long RssBytes { get; init; }
    public long PeakRssBytes { get; init; }
    /// <summary>Bytes the process allocated on the managed heap since it started.</summary>
    public long AllocatedBytes { get; init; }
    /// <summary>Memory the garbage collector holds committed (its share of <see cref="RssBytes"/>).</summary>
    public long GcCommittedBytes { get; init; }
    public IReadOnlyDictionary<string, long> Checkpoints { get; init; } = new Dictionary<string, long>();

    /// <summary>snake_case, indented; source-generated (<see cref="AgentJsonContext"/>), so no reflection is needed.</summary>
    public static JsonSerializerOptions JsonOptions => AgentJsonContext.Default.Options;

    public string ToJson() => JsonSerializer.Serialize(this, AgentJsonContext.Default.AgentStatus);

    internal byte[] ToUtf8Json() => JsonSerializer.SerializeToUtf8Bytes(this, AgentJsonContext.Default.AgentStatus);

    public static AgentStatus Load(string stateDir)
    {
        var path = Path.Combine(stateDir, AgentHost.StatusFile);
        if (!File.Exists(path)) throw new FileNotFoundException($"{path} not found: the agent has not run with this state dir yet", path);
        return JsonSerializer.Deserialize(File.ReadAllBytes(path), AgentJsonContext.Default.AgentStatus) ?? throw new InvalidDataException($"{path}: empty status file");
    }
}
