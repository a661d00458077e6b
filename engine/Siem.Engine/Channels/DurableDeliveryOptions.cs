using NodaTime;

namespace Siem.Engine.Channels;

/// <summary>Settings for <see cref="DurableAlertDelivery"/>.</summary>
public sealed record DurableDeliveryOptions
{
    public static DurableDeliveryOptions Default { get; } = new();

    /// <summary>The stream the engine publishes alerts to (before it acks their source messages).</summary>
    public string Stream { get; init; } = Pipeline.EngineStreams.Alerts;
    /// <summary>Durable consumer per channel: this prefix + the channel's name.</summary>
    public string ConsumerPrefix { get; init; } = "siem-deliver";
    /// <summary>JetStream KV bucket with what each channel was last told about each alert (idempotency and update pacing).</summary>
    public string StateBucket { get; init; } = "SIEM_DELIVERY";
    /// <summary>Copies of <see cref="StateBucket"/> when it is created (3 on a 3-node cluster; an existing bucket keeps its own).</summary>
    public int StateReplicas { get; init; } = 1;
    /// <summary>How long the server waits for an ack before redelivering to another process; a delivery in progress extends it.</summary>
    public TimeSpan AckWait { get; init; } = TimeSpan.FromSeconds(30);
    /// <summary>
    /// At most one count update per alert and channel this often; repeats in between are coalesced, and the latest
    /// count is always sent once the interval has passed, so a storm ends with the right total.
    /// </summary>
    public TimeSpan UpdateInterval { get; init; } = TimeSpan.FromMinutes(5);
    /// <summary>
    /// When set (the engine's suppression window), channels that can resolve (PagerDuty, webhook) are told "resolve"
    /// once the alert's window has ended (first seen + window): no further repeats fold into it. Null = only a triage close resolves.
    /// </summary>
    public Duration? ResolveAfterWindow { get; init; }
    /// <summary>Messages pulled ahead per channel.</summary>
    public int BatchSize { get; init; } = 4;
    /// <summary>Messages a channel's consumer may hold unacked, including paced updates and resolve checks waiting for their time.</summary>
    public long MaxAckPending { get; init; } = 20_000;
    public TimeProvider Time { get; init; } = TimeProvider.System;
}
