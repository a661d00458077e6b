using System.Text;
using Siem.Nats.JetStream;

namespace Siem.Nats.Tests;

/// <summary>Shared arrangements for the JetStream specs: a connected client and unique stream names.</summary>
internal static class JetStreamTestKit
{
    private static int _counter;

    public static async Task<NatsConnection> ConnectAsync(string url, CancellationToken cancellationToken = default)
    {
        var connection = new NatsConnection(NatsOpts.Default with
        {
            Servers = [url],
            Name = "siem-js-tests",
            RequestTimeout = TimeSpan.FromSeconds(5),
            ReconnectWaitMin = TimeSpan.FromMilliseconds(50),
            ReconnectWaitMax = TimeSpan.FromMilliseconds(250),
        });
        await connection.ConnectAsync(cancellationToken);
        return connection;
    }

    /// <summary>A stream name unique within the test run (tests of a class share one server).</summary>
    public static string Name(string prefix) => $"{prefix}_{Interlocked.Increment(ref _counter)}_{Environment.ProcessId}";

    public static CancellationToken Timeout(int seconds = 15) => new CancellationTokenSource(TimeSpan.FromSeconds(seconds)).Token;

    public static byte[] Bytes(string s) => Encoding.UTF8.GetBytes(s);

    public static string Text(ReadOnlyMemory<byte> data) => Encoding.UTF8.GetString(data.Span);

    public static async Task<List<NatsJSMsg>> FetchAllAsync(NatsJSConsumer consumer, int max, TimeSpan expires, CancellationToken cancellationToken)
    {
        var list = new List<NatsJSMsg>();
        await foreach (var m in consumer.FetchAsync(max, expires, cancellationToken: cancellationToken)) list.Add(m);
        return list;
    }
}
