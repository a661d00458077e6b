using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using Siem.Engine.Index;
using Siem.Engine.Search;
using Siem.Host.Demo;
using Siem.Nats;
using Siem.Testing;

namespace Siem.Engine.Tests;

public sealed class DemoAcceptanceTests
{
    [Fact]
    public async Task Demo_once_puts_only_ciphertext_with_a_msg_id_on_the_wire_and_indexes_every_input_line()
    {
        await using var server = await NatsServer.StartAsync();
        var dir = Directory.CreateTempSubdirectory("siem-demo-").FullName;
        try
        {
            var input = Path.Combine(dir, "auth.log");
            var lines = Enumerable.Range(0, 150)
                .Select(i => $"Nov 22 02:{i / 60:D2}:{i % 60:D2} web01 sshd[{4000 + i}]: Failed password for user{i} from 10.9.{i / 200}.{i % 200 + 1} port {30000 + i} ssh2")
                .ToList();
            await File.WriteAllLinesAsync(input, lines);

            // An independent client watching the event subjects while the demo runs.
            await using var watcher = new NatsConnection(NatsOpts.Default with { Servers = [server.Url], Name = "watcher" });
            await watcher.ConnectAsync();
            var seen = new ConcurrentQueue<NatsMsg>();
            await using var sub = await watcher.SubscribeAsync("siem.events.>");
            using var stopWatching = new CancellationTokenSource();
            var watching = Task.Run(async () =>
            {
                try { await foreach (var m in sub.ReadAllAsync(stopWatching.Token)) seen.Enqueue(m); }
                catch (OperationCanceledException) { }
            });
            await watcher.PingAsync();

            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(28));
            var stdout = new StringWriter();
            var stderr = new StringWriter();
            int exit = await DemoRunner.RunAsync(new DemoOptions
            {
                Once = true,
                NatsUrl = server.Url,
                Inputs = [input],
                DataDir = Path.Combine(dir, "data"),
                Json = true,
            }, stdout, stderr, timeout.Token);
            await watcher.PingAsync();
            await stopWatching.CancelAsync();
            await watching;

            Assert.True(exit == 0, $"demo exited {exit}:\n{stderr}");
            var summary = JsonDocument.Parse(stdout.ToString().Trim().Split('\n')[^1]).RootElement;
            Assert.Equal(150, summary.GetProperty("lines_read").GetInt64());
            Assert.Equal(150, summary.GetProperty("events_ingested").GetInt64());
            Assert.Equal(150, summary.GetProperty("events_indexed").GetInt64());
            Assert.Equal(0, summary.GetProperty("quarantined").GetInt64());

            Assert.NotEmpty(seen);
            foreach (var m in seen)
            {
                Assert.False(string.IsNullOrEmpty(m.Headers?["Nats-Msg-Id"]), $"message on {m.Subject} has no Nats-Msg-Id");
                var body = Encoding.Latin1.GetString(m.Data.Span);
                Assert.DoesNotContain("Failed password", body, StringComparison.Ordinal);
                Assert.DoesNotContain("web01", body, StringComparison.Ordinal);
                foreach (var line in lines) Assert.DoesNotContain(line, body, StringComparison.Ordinal);
            }

            await using var index = SqliteIndexSink.Open(Path.Combine(dir, "data"));
            Assert.Equal(150, await index.CountAsync(SearchRequest.Parse("*") with { IncludeAlerts = false }));
            Assert.Equal(1, await index.CountAsync(SearchRequest.Parse("\"Failed password for user77\"")));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
