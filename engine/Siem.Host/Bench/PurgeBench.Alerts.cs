using System.Globalization;
using NodaTime;
using Siem.Core.Envelope;
using Siem.Core.Security;
using Siem.Engine.Alerts;
using Siem.Engine.Pipeline;
using Siem.Host.Infrastructure;
using Siem.Lineage.Hops;
using Siem.Lineage.Ledger;
using Siem.Lineage.Purge;
using Siem.Lineage.Subjects;
using Siem.Nats;
using Siem.Nats.JetStream;

namespace Siem.Host.Bench;

internal static partial class PurgeBench
{
    /// <summary>Publishes this many alerts at once (PubAcks in flight), and records their hops in one ledger transaction.</summary>
    private const int AlertWindow = 256;

    /// <summary>
    /// <c>--alerts N</c>: a private nats-server (store in a temp dir outside the data dir) whose SIEM_ALERTS holds N alerts,
    /// one in 100 of the subject's, each hop naming its message in the ledger as the engine records it; the purge then
    /// runs the JetStream target too, by the ledger's sequences or (<c>--alerts-read-whole</c>) reading the stream whole.
    /// </summary>
    private sealed class AlertsStream : IAsyncDisposable
    {
        private readonly string _storeDir;

        private AlertsStream(string storeDir, LocalNatsServer server, NatsConnection connection)
        {
            _storeDir = storeDir;
            Server = server;
            Connection = connection;
            Js = new NatsJSContext(connection);
        }

        public LocalNatsServer Server { get; }
        public NatsConnection Connection { get; }
        public NatsJSContext Js { get; }

        public static async Task<AlertsStream> StartAsync(CancellationToken ct)
        {
            var store = Directory.CreateTempSubdirectory("siem-bench-purge-nats-").FullName;
            var server = await LocalNatsServer.StartAsync(store, cancellationToken: ct).ConfigureAwait(false);
            var connection = new NatsConnection(NatsOpts.Default with { Servers = [server.Url], Name = "siem-bench-purge" });
            await connection.ConnectAsync(ct).ConfigureAwait(false);
            var stream = new AlertsStream(store, server, connection);
            await EngineStreams.EnsureAsync(stream.Js, ct).ConfigureAwait(false);
            await LineageStreams.EnsureAsync(stream.Js, ct).ConfigureAwait(false);
            return stream;
        }

        /// <summary>The JetStream target over this server; null <paramref name="ledger"/> = read every stream whole.</summary>
        public JetStreamPurgeTarget Target(SubjectPseudonymizer subjects, LineageLedger? ledger) =>
            new(Js, new EnvelopeOpener(new Dictionary<string, EngineKeyPair>(), new AgentRegistry()), null, subjects, JetStreamPurgeOptions.Default with { Ledger = ledger });

        public async Task FillAsync(int alerts, int subjectRecords, int total, LineageLedger ledger, SubjectPseudonymizer subjects, TextWriter log, CancellationToken ct)
        {
            int every = total / subjectRecords;
            string subjectId = subjects.SubjectId("source.ip", SubjectIp);
            var now = SystemClock.Instance.GetCurrentInstant();
            for (int from = 0; from < alerts; from += AlertWindow)
            {
                var window = new List<AlertDocument>(AlertWindow);
                for (int i = from; i < Math.Min(alerts, from + AlertWindow); i++) window.Add(Alert(i, every, subjectRecords, now));
                var acks = await Task.WhenAll(window.Select(a => Js.PublishAsync("siem.alerts.high", AlertJson.Serialize(a),
                    new NatsHeaders { { "Siem-Alert-Id", a.AlertId }, { "Siem-Rule-Id", a.RuleId } }, $"{a.AlertId}:{a.Count}", ct))).ConfigureAwait(false);
                await ledger.RecordAlertsAsync([.. window.Select((a, k) => new AlertLineage(a.AlertId, a.RuleId, a.RecordIds,
                    [a.GroupBy["source.ip"] == SubjectIp ? subjectId : subjects.SubjectId("source.ip", a.GroupBy["source.ip"])], "sqlite", now, acks[k].Stream, acks[k].Seq))], ct).ConfigureAwait(false);
            }
            log.WriteLine($"bench purge: published {alerts} alerts ({(alerts + 99) / 100} of the subject) to SIEM_ALERTS");
        }

        /// <summary>Alert i: every 100th is the subject's (built from 10 of its records), the others another address's.</summary>
        private static AlertDocument Alert(int i, int every, int subjectRecords, Instant now)
        {
            bool ofSubject = i % 100 == 0;
            string ip = ofSubject ? SubjectIp : string.Create(CultureInfo.InvariantCulture, $"10.{i % 250}.{i / 250 % 250}.{i / 62500 % 250 + 1}");
            var records = Enumerable.Range(0, 10).Select(k => ofSubject
                ? string.Create(CultureInfo.InvariantCulture, $"bench-{(i / 100 * 10 + k) % subjectRecords * every:D8}")
                : string.Create(CultureInfo.InvariantCulture, $"bench-{(i * 10 + k) % 1_000_000 * every + 1:D8}")).ToList();
            var groupBy = new Dictionary<string, string> { ["source.ip"] = ip };
            return new AlertDocument
            {
                AlertId = string.Create(CultureInfo.InvariantCulture, $"bench-alert-{i:D7}"), RuleId = "81e7a567-a87a-4a69-8c3a-cd004cd81081",
                Title = "SSH Brute Force From One Source", Level = "high", RecordIds = records, GroupBy = groupBy, Fields = groupBy,
                FirstSeen = now, LastSeen = now, Count = 10,
            };
        }

        public async ValueTask DisposeAsync()
        {
            await Connection.DisposeAsync().ConfigureAwait(false);
            await Server.DisposeAsync().ConfigureAwait(false);
            try { Directory.Delete(_storeDir, recursive: true); } catch (IOException) { }
        }
    }
}
