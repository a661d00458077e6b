using System.Text.Json;
using Siem.Collectors.Agent;
using Siem.Core.Events;
using Siem.Engine.Alerts;
using Siem.Engine.Index;
using Siem.Engine.Pipeline;
using Siem.Engine.Search;
using Siem.Nats;
using Siem.Nats.JetStream;

namespace Siem.Host.Demo;

internal sealed partial class DemoRunner
{
    /// <summary>
    /// Prints progress every 2 s. With --once returns when the agent read every input line and shipped all of it
    /// (its checkpoints reached the end of every file, or — when auditd grouping holds a checkpoint back — nothing
    /// was shipped for <see cref="Settle"/> after the last line), and the engine's consumer has nothing pending and
    /// nothing unacked (every message indexed or quarantined). Without --once runs until cancelled (Ctrl-C).
    /// </summary>
    private async Task<int> WatchAsync(AgentHost agent, EventPipeline pipeline, NatsJSContext js, long totalBytes, long totalLines, CancellationToken cancellationToken)
    {
        var lastProgress = DateTime.UtcNow;
        long lastShipped = -1;
        var shippedChangedAt = DateTime.UtcNow;
        var deadline = DateTime.UtcNow + _o.OnceTimeout;
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(200, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                break;
            }
            if (DateTime.UtcNow - lastProgress >= TimeSpan.FromSeconds(2))
            {
                lastProgress = DateTime.UtcNow;
                Err($"demo: read {agent.Metrics.LinesRead} lines, shipped {agent.Metrics.RecordsShipped} events, indexed {pipeline.Stats.EventsIndexed}, alerts {pipeline.Stats.AlertsRaised}, quarantined {pipeline.Stats.Quarantined}");
            }
            if (!_o.Once) continue;
            if (agent.Completion.IsFaulted)
            {
                Err($"siem demo: the agent stopped: {agent.Completion.Exception?.GetBaseException().Message}");
                return 1;
            }
            if (DateTime.UtcNow > deadline)
            {
                Err($"siem demo: not everything was indexed within {_o.OnceTimeout.TotalMinutes:0} min (agent committed {agent.Metrics.Checkpoints.Values.Sum()} of {totalBytes} bytes)");
                return 1;
            }
            long shipped = agent.Metrics.RecordsShipped;
            if (shipped != lastShipped)
            {
                lastShipped = shipped;
                shippedChangedAt = DateTime.UtcNow;
            }
            bool allCommitted = agent.Metrics.Checkpoints.Values.Sum() >= totalBytes;
            bool settled = agent.Metrics.LinesRead >= totalLines && agent.SpoolBatches == 0 && DateTime.UtcNow - shippedChangedAt >= Settle;
            if (!allCommitted && !settled) continue;
            try
            {
                var info = await js.GetConsumerInfoAsync(EngineStreams.Events, EngineOptions.Default.Durable, cancellationToken).ConfigureAwait(false);
                if (info.NumPending == 0 && info.NumAckPending == 0) return 0;
            }
            catch (NatsException ex)
            {
                Err($"demo: consumer info: {ex.Message}");
            }
        }
        return 0;
    }

    /// <summary>Longer than the agent's idle flush (1 s) plus a PubAck round trip on a busy machine.</summary>
    private static readonly TimeSpan Settle = TimeSpan.FromSeconds(4);

    private async Task WaitDrainedAsync(NatsJSContext js, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                var info = await js.GetConsumerInfoAsync(EngineStreams.Events, EngineOptions.Default.Durable).ConfigureAwait(false);
                if (info.NumPending == 0 && info.NumAckPending == 0) return;
            }
            catch (NatsException ex)
            {
                Err($"demo: consumer info: {ex.Message}");
            }
            await Task.Delay(100).ConfigureAwait(false);
        }
        Err("demo: the engine did not take every message within the timeout; they stay in the stream for the next run");
    }

    private static long CountLines(string path)
    {
        long lines = 0;
        int last = '\n';
        using var stream = File.OpenRead(path);
        var buffer = new byte[64 * 1024];
        int n;
        while ((n = stream.Read(buffer)) > 0)
        {
            lines += buffer.AsSpan(0, n).Count((byte)'\n');
            last = buffer[n - 1];
        }
        return last == '\n' ? lines : lines + 1;
    }

    private void OnAlert(AlertDocument alert, bool isNew)
    {
        if (!isNew) return;
        lock (_printLock)
        {
            _out.WriteLine(_o.Json ? AlertJson.SerializeToString(alert) : Readable(alert));
            _out.Flush();
        }
    }

    private static string Readable(AlertDocument a)
    {
        var context = string.Join(' ', a.GroupBy.Concat(a.Fields.Where(f => !a.GroupBy.ContainsKey(f.Key))).Select(kv => $"{kv.Key}={kv.Value}"));
        var tags = a.Tags.Count > 0 ? "  [" + string.Join(", ", a.Tags) + "]" : "";
        return $"ALERT {a.Level.ToUpperInvariant(),-8} {a.Title}  {context}  at {AlertJson.FormatInstant(a.FirstSeen)}  rule={a.RuleId}{tags}";
    }

    private async Task ReportAsync(AgentHost agent, EventPipeline pipeline, IIndexSink index, List<string> inputs, TimeSpan elapsed, string dataDir)
    {
        // Indexed = what the index holds for these files from the demo agent (distinct by record id).
        QueryNode files = inputs.Select(p => (QueryNode)new FieldNode(EcsFields.LogFilePath, p, false)).Aggregate((a, b) => new OrNode(a, b));
        var query = new AndNode(new FieldNode("agent_id", AgentId, false), files);
        long indexed = await index.CountAsync(new SearchRequest { Query = query, IncludeAlerts = false }).ConfigureAwait(false);
        var alerts = await index.SearchAsync(new SearchRequest { Query = new MatchAllNode(), IncludeEvents = false, Limit = 1000 }).ConfigureAwait(false);
        long shipped = agent.Metrics.RecordsShipped;
        if (!_o.Json)
        {
            Err("");
            Err($"demo: {alerts.Count} alert(s) in the index:");
            foreach (var hit in alerts.OrderBy(h => h.Alert!.FirstSeen))
            {
                var a = hit.Alert!;
                Err($"  {a.Level.ToUpperInvariant(),-8} {a.Title} x{a.Count}  {string.Join(' ', a.GroupBy.Select(kv => $"{kv.Key}={kv.Value}"))}");
            }
        }
        string data = _o.DataDir.Contains(' ', StringComparison.Ordinal) ? $"\"{dataDir}\"" : _o.DataDir;
        // Suggest a search on a value the alerts found (the bundled samples' attacker address when nothing fired).
        var example = alerts.Select(h => h.Alert!.GroupBy).SelectMany(g => g).Select(kv => $"{kv.Key}:{kv.Value}")
            .FirstOrDefault(q => !q.Contains(' ', StringComparison.Ordinal) && !q.Contains('\'', StringComparison.Ordinal)) ?? "source.ip:203.0.113.45";
        Err($"demo: search it: ./siem search --data {data} '{example}'   ./siem search --data {data} 'level:high OR level:critical' --json");
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteNumber("lines_read", agent.Metrics.LinesRead);
            w.WriteNumber("events_ingested", shipped);
            w.WriteNumber("events_indexed", indexed);
            w.WriteNumber("alerts", pipeline.Stats.AlertsRaised);
            w.WriteNumber("quarantined", pipeline.Stats.Quarantined);
            w.WriteNumber("events_per_sec", Math.Round(shipped / Math.Max(elapsed.TotalSeconds, 0.001), 1));
            w.WriteNumber("elapsed_sec", Math.Round(elapsed.TotalSeconds, 2));
            w.WriteEndObject();
        }
        lock (_printLock)
        {
            _out.WriteLine(System.Text.Encoding.UTF8.GetString(buffer.ToArray()));
            _out.Flush();
        }
    }

    private void Err(string message)
    {
        lock (_printLock)
        {
            _err.WriteLine(message);
        }
    }

}
