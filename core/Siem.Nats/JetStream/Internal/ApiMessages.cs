using System.Text.Json.Serialization;

namespace Siem.Nats.JetStream.Internal;

// Request/response bodies of the $JS.API subjects. Every response may carry "error" instead of its payload.

internal sealed record ApiError(int Code, [property: JsonPropertyName("err_code")] int ErrCode, string? Description);

internal abstract record ApiResponse
{
    public ApiError? Error { get; init; }
}

internal sealed record StreamInfoResponse : ApiResponse
{
    public StreamConfig? Config { get; init; }
    public DateTimeOffset Created { get; init; }
    public StreamState? State { get; init; }
}

internal sealed record SuccessResponse : ApiResponse
{
    public bool Success { get; init; }
}

internal sealed record PurgeRequest(string? Filter, ulong? Keep, ulong? Seq);

internal sealed record PurgeResponse : ApiResponse
{
    public bool Success { get; init; }
    public ulong Purged { get; init; }
}

internal sealed record ConsumerCreateRequest(string StreamName, ConsumerConfig Config);

internal sealed record ConsumerInfoResponse : ApiResponse
{
    public string? StreamName { get; init; }
    public string? Name { get; init; }
    public DateTimeOffset Created { get; init; }
    public ConsumerConfig? Config { get; init; }
    public SequenceInfo? Delivered { get; init; }
    public SequenceInfo? AckFloor { get; init; }
    public long NumAckPending { get; init; }
    public long NumRedelivered { get; init; }
    public long NumWaiting { get; init; }
    public ulong NumPending { get; init; }
}

internal sealed record MsgGetRequest(ulong? Seq, [property: JsonPropertyName("last_by_subj")] string? LastBySubject, [property: JsonPropertyName("next_by_subj")] string? NextBySubject = null);

internal sealed record StoredMsg(string Subject, ulong Seq, string? Hdrs, string? Data, DateTimeOffset Time);

internal sealed record MsgGetResponse : ApiResponse
{
    public StoredMsg? Message { get; init; }
}

internal sealed record MsgDeleteRequest(ulong Seq, [property: JsonPropertyName("no_erase")] bool NoErase);

internal sealed record PullRequest(int Batch, long? Expires, [property: JsonPropertyName("idle_heartbeat")] long? IdleHeartbeat, [property: JsonPropertyName("no_wait")] bool? NoWait, [property: JsonPropertyName("max_bytes")] long? MaxBytes);
