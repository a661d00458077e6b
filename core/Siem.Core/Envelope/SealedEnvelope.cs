namespace Siem.Core.Envelope;

/// <summary>A sealed batch ready to publish: NATS headers (including <c>Nats-Msg-Id</c>), the body, and the message id.</summary>
public sealed record SealedEnvelope(IReadOnlyList<KeyValuePair<string, string>> Headers, byte[] Body, string MsgId)
{
    public ulong BatchSeq { get; init; }
}
