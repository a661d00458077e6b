using System.Net.Sockets;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Siem.Testing;

/// <summary>
/// Three real nats-server processes on loopback, joined by cluster routes, JetStream on in each with its own
/// store dir and server_name. A node is killed with SIGKILL by PID and restarted on the same ports with the same
/// store, so it rejoins and catches up like a crashed production node.
/// </summary>
public sealed partial class NatsCluster : IAsyncDisposable
{
    private readonly NatsServer[] _nodes;

    private NatsCluster(NatsServer[] nodes) => _nodes = nodes;

    public IReadOnlyList<NatsServer> Nodes => _nodes;

    /// <summary>Client URLs of every node (give all of them to clients: they fail over between them).</summary>
    public IReadOnlyList<string> Urls => [.. _nodes.Select(n => n.Url)];

    /// <summary>Starts the nodes and waits until JetStream has a meta leader (streams can be created).</summary>
    public static async Task<NatsCluster> StartAsync(int size = 3, string extraConfig = "", CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(size, 1);
        // Distinct: the OS may hand the same just-released port out twice (a CI run got "Duplicate route entry").
        var ports = new HashSet<int>();
        while (ports.Count < 2 * size) ports.Add(NatsServer.FreePort());
        var clientPorts = ports.Take(size).ToArray();
        var routePorts = ports.Skip(size).ToArray();
        string routes = string.Join(", ", routePorts.Select(p => $"\"nats-route://127.0.0.1:{p}\""));
        var starts = new Task<NatsServer>[size];
        for (int i = 0; i < size; i++)
        {
            string config = $$"""
                server_name: n{{i + 1}}
                cluster {
                  name: siem-test
                  listen: 127.0.0.1:{{routePorts[i]}}
                  routes: [{{routes}}]
                }
                {{extraConfig}}
                """;
            // All at once: a clustered JetStream node waits for its peers before it reports ready.
            starts[i] = NatsServer.StartAsync(config, clientPorts[i]);
        }
        var nodes = await Task.WhenAll(starts).ConfigureAwait(false);
        var cluster = new NatsCluster(nodes);
        await cluster.WaitForMetaLeaderAsync(cancellationToken).ConfigureAwait(false);
        return cluster;
    }

    /// <summary>kill -9 of node <paramref name="index"/>; its store stays on disk.</summary>
    public void Kill(int index) => _nodes[index].Kill();

    /// <summary>Starts node <paramref name="index"/> again on its ports with its store; it rejoins the cluster.</summary>
    public Task RestartAsync(int index) => _nodes[index].RestartAsync();

    /// <summary>
    /// Polls a node's monitoring-free JetStream API (<c>$JS.API.INFO</c> over a raw connection) until the cluster
    /// has elected a meta leader; before that, stream creation fails with "JetStream system temporarily unavailable".
    /// </summary>
    public async Task WaitForMetaLeaderAsync(CancellationToken cancellationToken = default)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(30));
        string? last = null;
        while (true)
        {
            foreach (var node in _nodes)
            {
                last = await RawRequestAsync(node.Port, "$JS.API.INFO", timeout.Token).ConfigureAwait(false) ?? last;
                if (last != null && IsAccountInfo(last)) return;
            }
            if (timeout.IsCancellationRequested)
                throw new TimeoutException($"the NATS cluster elected no JetStream meta leader in 30 s; last answer: {last}");
            await Task.Delay(200, CancellationToken.None).ConfigureAwait(false);
        }
    }

    /// <summary>The index of the node leading <paramref name="stream"/> (from <c>$JS.API.STREAM.INFO</c>), or -1 when none answers with a leader.</summary>
    public async Task<int> StreamLeaderAsync(string stream, CancellationToken cancellationToken = default)
    {
        foreach (var node in _nodes)
        {
            var answer = await RawRequestAsync(node.Port, "$JS.API.STREAM.INFO." + stream, cancellationToken).ConfigureAwait(false);
            if (answer == null) continue;
            try
            {
                using var doc = JsonDocument.Parse(answer);
                if (doc.RootElement.TryGetProperty("cluster", out var cluster) && cluster.TryGetProperty("leader", out var leader))
                {
                    string name = leader.GetString() ?? "";
                    if (name.StartsWith('n') && int.TryParse(name.AsSpan(1), out int n) && n >= 1 && n <= _nodes.Length) return n - 1;
                }
            }
            catch (JsonException)
            {
            }
        }
        return -1;
    }

    /// <summary>The raw <c>$JS.API.STREAM.INFO</c> answer of <paramref name="stream"/> from each live node (null where none came).</summary>
    public async Task<string?[]> StreamInfoJsonAsync(string stream, CancellationToken cancellationToken = default)
    {
        var answers = new string?[_nodes.Length];
        for (int i = 0; i < _nodes.Length; i++)
            answers[i] = await RawRequestAsync(_nodes[i].Port, "$JS.API.STREAM.INFO." + stream, cancellationToken).ConfigureAwait(false);
        return answers;
    }

    /// <summary>
    /// What the nodes said about JetStream (leader elections, warnings, errors) since they started, every node's lines
    /// prefixed with its name and merged in time order: the first thing to read when a cluster test fails.
    /// </summary>
    public string JetStreamLog()
    {
        var lines = _nodes.SelectMany((node, i) => node.Log.Split('\n')
            .Where(l => l.Contains("JetStream", StringComparison.Ordinal) || l.Contains("[WRN]", StringComparison.Ordinal) || l.Contains("[ERR]", StringComparison.Ordinal))
            .Select(l => (Time: LogTime().Match(l).Groups[1].Value, Line: $"n{i + 1} {l.TrimEnd()}")));
        return string.Join("\n", lines.OrderBy(l => l.Time, StringComparer.Ordinal).Select(l => l.Line));
    }

    /// <summary>The timestamp of a nats-server log line: <c>[pid] 2026/11/22 12:21:38.465918 [INF] ...</c>.</summary>
    [GeneratedRegex(@"^\[\d+\] (\S+ \S+)")]
    private static partial Regex LogTime();

    private static bool IsAccountInfo(string json)
    {
        try
        {
            using var doc = JsonDocument.Parse(json);
            return !doc.RootElement.TryGetProperty("error", out _);
        }
        catch (JsonException)
        {
            return false;
        }
    }

    /// <summary>One request over a plain-text NATS connection (no dependency on the client under test).</summary>
    private static async Task<string?> RawRequestAsync(int port, string subject, CancellationToken cancellationToken)
    {
        try
        {
            using var client = new TcpClient();
            await client.ConnectAsync("127.0.0.1", port, cancellationToken).ConfigureAwait(false);
            await using var stream = client.GetStream();
            using var reader = new StreamReader(stream);
            await using var writer = new StreamWriter(stream) { NewLine = "\r\n", AutoFlush = true };
            await reader.ReadLineAsync(cancellationToken).ConfigureAwait(false); // INFO
            await writer.WriteAsync("CONNECT {\"verbose\":false,\"pedantic\":false}\r\nSUB _probe.r 1\r\n" +
                $"PUB {subject} _probe.r 0\r\n\r\nPING\r\n").ConfigureAwait(false);
            using var wait = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            wait.CancelAfter(TimeSpan.FromSeconds(2));
            while (true)
            {
                var line = await reader.ReadLineAsync(wait.Token).ConfigureAwait(false);
                if (line == null) return null;
                if (line.StartsWith("MSG ", StringComparison.Ordinal))
                    return await reader.ReadLineAsync(wait.Token).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is SocketException or IOException or OperationCanceledException)
        {
            return null;
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var node in _nodes) await node.DisposeAsync().ConfigureAwait(false);
    }
}
