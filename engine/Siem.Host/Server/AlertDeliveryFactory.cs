using Siem.Engine.Channels;
using Siem.Nats;

namespace Siem.Host.Server;

/// <summary>Alert channels (a JSON channels file, else the SIEM_* environment) → dispatcher → durable delivery from the alerts stream. Used by the engine role and the demo.</summary>
internal static class AlertDeliveryFactory
{
    /// <summary>Null when no channel is configured. Delivery log and dead letters go under <paramref name="dataDir"/> (mode 0600). Not started yet.</summary>
    public static DurableAlertDelivery? Create(string? channelsFile, string dataDir, HttpClient http, NatsConnection nats, DurableDeliveryOptions options, Action<string> info)
    {
        var channels = channelsFile != null
            ? AlertChannelFile.Load(channelsFile, Environment.GetEnvironmentVariable, http)
            : AlertChannelConfig.FromEnvironment(Environment.GetEnvironmentVariable, http);
        if (channels.Count == 0)
        {
            info("no alert channels configured (channels file or SIEM_* variables): alerts are indexed and published on siem.alerts.* only");
            return null;
        }
        var deliveries = Path.Combine(dataDir, "alert-deliveries.jsonl");
        info($"alert channels: {string.Join(", ", channels.Select(c => c.Channel.Name + (c.Route.MinLevel is { } l ? $" (>= {l})" : "")))}; delivery log {deliveries}");
        var dispatcher = new AlertDispatcher(channels, new AlertDispatchOptions
        {
            DeadLetterPath = Path.Combine(dataDir, "alert-dead-letter.jsonl"),
            DeliveryLogPath = deliveries,
        }, m => info($"alerts: {m}"));
        return new DurableAlertDelivery(nats, dispatcher, options, m => info($"alerts: {m}"));
    }
}
