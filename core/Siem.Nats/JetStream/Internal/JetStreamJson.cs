using System.Text.Json.Serialization;

namespace Siem.Nats.JetStream.Internal;

/// <summary>Source-generated (reflection-free, trimming-safe) JSON for the JetStream API: snake_case, nulls omitted.</summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    Converters = [typeof(NanosecondsConverter)])]
[JsonSerializable(typeof(StreamConfig))]
[JsonSerializable(typeof(StreamInfoResponse))]
[JsonSerializable(typeof(SuccessResponse))]
[JsonSerializable(typeof(PurgeRequest))]
[JsonSerializable(typeof(PurgeResponse))]
[JsonSerializable(typeof(ConsumerCreateRequest))]
[JsonSerializable(typeof(ConsumerInfoResponse))]
[JsonSerializable(typeof(MsgGetRequest))]
[JsonSerializable(typeof(MsgGetResponse))]
[JsonSerializable(typeof(MsgDeleteRequest))]
[JsonSerializable(typeof(PullRequest))]
[JsonSerializable(typeof(NatsServerInfo))] // not JetStream, but reflection-free too: the agent also runs as a Native AOT executable
internal sealed partial class JetStreamJson : JsonSerializerContext;
