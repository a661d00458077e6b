using System.Net.Http.Json;
using System.Text.Json;

namespace Siem.Api.Tests.Roles;

/// <summary>
/// The console's status page in the production layout: the API runs in its own <c>siem serve --roles api</c> process,
/// yet shows the engine process's OpenTelemetry instruments (what it exports over OTLP), because every process
/// broadcasts its readings on <c>siem.metrics.*</c>.
/// </summary>
public sealed class StatusMetricsTests
{
    [Fact]
    public async Task The_api_process_shows_the_engine_process_instruments_with_what_it_indexed_and_its_consumer_lag()
    {
        await using var roles = await SeparateRoles.StartAsync();
        using var analyst = await roles.ClientAsync("night-shift", "analyst");
        await roles.PublishAsync(("r-1", "alice", "Accepted password for alice"), ("r-2", "bob", "Accepted password for bob"));
        await roles.PublishAsync(("r-3", "carol", "Accepted password for carol"));

        JsonElement engine = default, api = default;
        string last = "(none)";
        var polled = roles.WaitUntilAsync(async () =>
        {
            await Task.Delay(500, CancellationToken.None); // processes report every 5 s; polling faster only spends the API's rate limit
            var body = await analyst.GetFromJsonAsync<JsonElement>("/api/metrics", CancellationToken.None);
            last = body.GetRawText();
            var processes = body.GetProperty("processes").EnumerateArray().ToList();
            engine = processes.FirstOrDefault(p => Roles(p) == "engine,lineage");
            api = processes.FirstOrDefault(p => Roles(p) == "api");
            return engine.ValueKind == JsonValueKind.Object && api.ValueKind == JsonValueKind.Object
                && Value(engine, "siem.engine.events_indexed") >= 3 && Value(engine, "siem.engine.consumer_lag") == 0 && Value(engine, "siem.engine.consumer_ack_pending") == 0;
        }, "the engine process's readings on the api process's /api/metrics: 3 events indexed, nothing pending");
        try
        {
            await polled;
        }
        catch (TimeoutException e)
        {
            throw new TimeoutException($"{e.Message}\nlast /api/metrics: {last}", e);
        }

        // Two batches, each received once apart from redeliveries (a batch held past ack_wait on a loaded machine comes back).
        Assert.Equal(2, Value(engine, "siem.engine.messages_received") - Value(engine, "siem.engine.messages_redelivered"));
        Assert.Equal(3, await roles.CountAsync(analyst, "host.name:web1"));
        Assert.Equal("counter", Reading(engine, "siem.engine.events_indexed").GetProperty("kind").GetString());
        Assert.Equal("{event}", Reading(engine, "siem.engine.events_indexed").GetProperty("unit").GetString());
        Assert.Equal("gauge", Reading(engine, "siem.engine.consumer_lag").GetProperty("kind").GetString());
        Assert.False(engine.GetProperty("stale").GetBoolean());
        Assert.False(api.GetProperty("stale").GetBoolean());
        Assert.NotEqual(engine.GetProperty("pid").GetInt32(), api.GetProperty("pid").GetInt32());
        Assert.Equal(Environment.MachineName, engine.GetProperty("host").GetString());
    }

    private static string Roles(JsonElement process) => string.Join(",", process.GetProperty("roles").EnumerateArray().Select(r => r.GetString()));

    private static JsonElement Reading(JsonElement process, string name) =>
        process.GetProperty("metrics").EnumerateArray().FirstOrDefault(m => m.GetProperty("name").GetString() == name && m.GetProperty("tags").ValueKind == JsonValueKind.Null);

    private static double? Value(JsonElement process, string name) =>
        Reading(process, name) is { ValueKind: JsonValueKind.Object } m ? m.GetProperty("value").GetDouble() : null;
}
