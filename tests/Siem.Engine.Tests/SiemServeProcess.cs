using System.Diagnostics;
using System.Text;
using Microsoft.Data.Sqlite;
using NodaTime;
using Siem.Core.Envelope;
using Siem.Core.Events;
using Siem.Core.Security;

namespace Siem.Engine.Tests;

/// <summary>`siem serve` as a real child process (the built siem.dll next to the test assembly), stopped by its PID only.</summary>
internal sealed class SiemServeProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _stderr = new();

    private SiemServeProcess(Process process) => _process = process;

    public int Pid => _process.Id;
    public string Stderr { get { lock (_stderr) return _stderr.ToString(); } }

    public static SiemServeProcess Start(string configPath, params string[] extraArgs)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "siem.dll"));
        foreach (var a in (string[])["serve", "--config", configPath, .. extraArgs]) psi.ArgumentList.Add(a);
        var p = new Process { StartInfo = psi };
        var s = new SiemServeProcess(p);
        p.ErrorDataReceived += (_, e) => { if (e.Data != null) lock (s._stderr) s._stderr.AppendLine(e.Data); };
        p.OutputDataReceived += (_, _) => { };
        p.Start();
        p.BeginErrorReadLine();
        p.BeginOutputReadLine();
        return s;
    }

    /// <summary>kill -9: no chance to finish, flush or ack anything.</summary>
    public void KillHard()
    {
        _process.Kill(entireProcessTree: false);
        _process.WaitForExit();
    }

    /// <summary>SIGTERM, then the exit code (the process must stop by itself within <paramref name="cancellationToken"/>).</summary>
    public async Task<int> TerminateAsync(CancellationToken cancellationToken)
    {
        using (var kill = Process.Start("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])) await kill.WaitForExitAsync(cancellationToken);
        await _process.WaitForExitAsync(cancellationToken);
        return _process.ExitCode;
    }

    public bool HasExited => _process.HasExited;

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: false);
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
    }

    /// <summary>A data dir with an engine key and one enrolled agent (as enrollment would leave it), and a config for it.</summary>
    public static (string ConfigPath, EnvelopeSealer Sealer, AgentIdentity Agent) Prepare(string dir, string natsUrl, string extraYaml = "", string? ruleFile = null)
    {
        var data = Path.Combine(dir, "data");
        Directory.CreateDirectory(Path.Combine(data, "engine"));
        var key = EngineKeyPair.Create();
        key.Save(Path.Combine(data, "engine", "engine-key.json"));
        var agent = AgentIdentity.Create("agent-1");
        new AgentRegistry(Path.Combine(data, "engine", "agents.json")).Register(agent.AgentId, agent.SigningPublicKey, PipelineHarness.Tenant);
        var config = Path.Combine(dir, "siem.yml");
        File.WriteAllText(config, $"""
            server:
              data_dir: data
            nats:
              urls: [{natsUrl}]
            rules:
              include_pack: false
              dirs: [{ruleFile ?? ""}]
            engine:
              batch_size: 4
              ack_wait_ms: 2000
            {extraYaml}
            """);
        return (config, new EnvelopeSealer(agent, key.AgreementPublicKey, key.KeyId), agent);
    }

    /// <summary>Records of one batch, all on one day (a record id always lands in the same partition).</summary>
    public static List<LogEvent> Batch(string agentId, int batch, int records)
    {
        var list = new List<LogEvent>(records);
        for (int i = 0; i < records; i++)
        {
            var e = new LogEvent
            {
                RecordId = $"b{batch}r{i}",
                AgentId = agentId,
                Timestamp = Instant.FromUtc(2026, 11, 22, 3, 0) + Duration.FromMilliseconds((batch * records) + i),
                Original = $"Nov 22 03:00:00 web1 app[1]: batch {batch} line {i}",
            };
            e.Set(EcsFields.Message, e.Original);
            list.Add(e);
        }
        return list;
    }

    /// <summary>(rows, distinct record ids) over every event partition, read while the engine may be writing (WAL).</summary>
    public static (long Rows, long Distinct) CountIndex(string dataDir)
    {
        var path = Path.Combine(dataDir, "index.db");
        if (!File.Exists(path)) return (0, 0);
        using var conn = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString());
        conn.Open();
        using var cmd = conn.CreateCommand();
        cmd.CommandText = "SELECT name FROM sqlite_master WHERE type='table' AND name GLOB 'events_[0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9]'";
        var tables = new List<string>();
        using (var r = cmd.ExecuteReader()) while (r.Read()) tables.Add(r.GetString(0));
        if (tables.Count == 0) return (0, 0);
        cmd.CommandText = $"SELECT COUNT(*), COUNT(DISTINCT record_id) FROM ({string.Join(" UNION ALL ", tables.Select(t => $"SELECT record_id FROM {t}"))})";
        using var rows = cmd.ExecuteReader();
        rows.Read();
        return (rows.GetInt64(0), rows.GetInt64(1));
    }
}
