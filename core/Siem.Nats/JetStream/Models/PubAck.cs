namespace Siem.Nats.JetStream;

/// <summary>The server's confirmation that a published message is stored.</summary>
/// <param name="Stream">Stream that stored the message.</param>
/// <param name="Seq">Its sequence in the stream (for a duplicate: the original's sequence).</param>
/// <param name="Duplicate">True when the <c>Nats-Msg-Id</c> was already seen inside the duplicate window and nothing new was stored.</param>
public sealed record PubAck(string Stream, ulong Seq, bool Duplicate);
