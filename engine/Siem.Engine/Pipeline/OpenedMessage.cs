using Siem.Core.Events;
using Siem.Nats.JetStream;

namespace Siem.Engine.Pipeline;

/// <summary>
/// A fetched message after the opener stage (verified, decrypted and decoded ahead of the processing loop). The loop
/// still decides everything stateful, in stream order: an unverified message (<see cref="Verified"/> false: envelope
/// or subject refused) is quarantined with <see cref="Reason"/> before any sequence check; a verified one has its batch
/// sequence checked first (replays refused), and only then is a <see cref="Batch"/> that did not decode (null, with
/// <see cref="Reason"/>) quarantined, exactly as when everything ran on the loop.
/// </summary>
internal readonly record struct OpenedMessage(NatsJSMsg Msg, bool Verified, string? AgentId, ulong BatchSeq, List<LogEvent>? Batch, string? Reason, string? Detail)
{
    public static OpenedMessage Refused(NatsJSMsg msg, string reason, string? detail) => new(msg, false, null, 0, null, reason, detail);
}
