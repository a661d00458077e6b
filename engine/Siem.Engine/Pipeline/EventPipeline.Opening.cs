using System.Threading.Channels;
using Siem.Core.Events;
using Siem.Nats;
using Siem.Nats.JetStream;

namespace Siem.Engine.Pipeline;

/// <summary>
/// The opener stage: one task verifies, decrypts and decodes fetched messages (about a third of the engine's CPU per
/// event) ahead of the processing loop, so a second core works while the loop detects and indexes the group before.
/// It keeps stream order (one task, FIFO channels) and decides nothing stateful: the batch sequence check, the
/// quarantine, the forward filter and the acks stay on the loop (<see cref="Admit"/>). It runs at most about one group
/// ahead (<see cref="EngineOptions.BatchSize"/> messages, <see cref="EngineOptions.MaxGroupBytes"/> bytes of bodies),
/// because decoded events cost several times their encrypted size in memory and every GC copies the live ones.
/// </summary>
public sealed partial class EventPipeline
{
    /// <summary>Opens every fetched message in order until <paramref name="fetched"/> completes or the stop; completes <paramref name="opened"/> with the fetch's outcome.</summary>
    private async Task OpenAheadAsync(ChannelReader<NatsJSMsg> fetched, ChannelWriter<OpenedMessage> opened, ByteBudget openedAhead, List<NatsJSMsg> strandedAtStop, CancellationToken cancellationToken)
    {
        NatsJSMsg? inHand = null;
        try
        {
            while (await fetched.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
            {
                while (fetched.TryRead(out var msg))
                {
                    inHand = msg;
                    await openedAhead.TakeAsync(msg.Data.Length, cancellationToken).ConfigureAwait(false);
                    OpenedMessage result;
                    using (Stats.Cpu.Measure(PipelineStage.Open)) result = OpenMessage(msg);
                    Stats.Opened();
                    await opened.WriteAsync(result, cancellationToken).ConfigureAwait(false);
                    inHand = null;
                }
            }
            opened.TryComplete();
        }
        catch (Exception ex)
        {
            // Stopping: the message in hand is in neither channel, so the stop path releases it with them.
            if (inHand != null) lock (strandedAtStop) strandedAtStop.Add(inHand);
            opened.TryComplete(ex is OperationCanceledException ? null : ex);
        }
    }

    /// <summary>Verifies, decrypts and decodes one message (thread-safe: no pipeline state is read or written).</summary>
    private OpenedMessage OpenMessage(NatsJSMsg msg)
    {
        var headers = msg.Headers;
        var opened = _opener.Open(h => headers?[h], msg.Data.Span);
        if (!opened.Ok) return OpenedMessage.Refused(msg, ReasonFor(opened.Failure), opened.Detail);
        string agentId = opened.AgentId!;
        string expectedSubject = $"siem.events.{opened.Tenant}.{agentId}";
        if (opened.Tenant != null && !string.Equals(msg.Subject, expectedSubject, StringComparison.Ordinal))
            return OpenedMessage.Refused(msg, "subject_mismatch", $"agent '{agentId}' published on '{msg.Subject}', expected '{expectedSubject}'");

        List<LogEvent> batch;
        try
        {
            batch = LogEventJson.DecodeBatch(opened.Plaintext);
        }
        catch (Exception ex) when (ex is FormatException or System.Text.Json.JsonException or InvalidDataException or ArgumentException)
        {
            return new OpenedMessage(msg, true, agentId, opened.BatchSeq, null, "undecodable", $"batch {opened.BatchSeq} of agent '{agentId}': {ex.Message}");
        }
        foreach (var e in batch)
        {
            if (!string.Equals(e.AgentId, agentId, StringComparison.Ordinal))
                return new OpenedMessage(msg, true, agentId, opened.BatchSeq, null, "agent_mismatch", $"record '{e.RecordId}' claims agent '{e.AgentId}' inside a batch signed by '{agentId}'");
        }
        return new OpenedMessage(msg, true, agentId, opened.BatchSeq, batch, null, null);
    }

    /// <summary>
    /// On the loop, in stream order: the records of an opened message, or null with the quarantine reason. An agent
    /// revoked since its message was opened is refused here, so opening ahead does not widen what a revocation lets through.
    /// </summary>
    private (List<LogEvent>? Batch, string? Reason, string? Detail) Admit(OpenedMessage m, SequenceGroup sequences)
    {
        if (!m.Verified) return (null, m.Reason, m.Detail);
        string agentId = m.AgentId!;
        if (_opener.IsRevoked(agentId)) return (null, ReasonFor(Siem.Core.Envelope.EnvelopeFailure.RevokedAgent), $"agent '{agentId}' was revoked");
        var msg = m.Msg;
        ulong streamSeq = msg.Metadata.StreamSeq;
        var verdict = _sequences.Classify(agentId, m.BatchSeq, streamSeq, sequences);
        if (verdict == SequenceVerdict.Replay)
            return (null, "replay", $"batch {m.BatchSeq} of agent '{agentId}' was already processed; this copy is stream message {streamSeq}");
        if (verdict == SequenceVerdict.Redelivery || msg.Metadata.NumDelivered > 1) Stats.Redelivered();
        return m.Batch == null ? (null, m.Reason, m.Detail) : (m.Batch, null, null);
    }

    /// <summary>At stop: messages fetched or opened but not processed, released (nak) for redelivery now rather than after AckWait.</summary>
    private async Task ReleaseUnprocessedAsync(ChannelReader<NatsJSMsg> fetched, ChannelReader<OpenedMessage> opened, List<NatsJSMsg> strandedAtStop)
    {
        var unprocessed = new List<NatsJSMsg>();
        while (opened.TryRead(out var m)) unprocessed.Add(m.Msg);
        lock (strandedAtStop) unprocessed.AddRange(strandedAtStop);
        while (fetched.TryRead(out var msg)) unprocessed.Add(msg);
        using var bounded = new CancellationTokenSource(TimeSpan.FromSeconds(2));
        int released = 0;
        foreach (var msg in unprocessed)
        {
            try
            {
                await msg.NakAsync(TimeSpan.Zero, bounded.Token).ConfigureAwait(false);
                released++;
            }
            catch (Exception ex) when (ex is NatsException or OperationCanceledException)
            {
                break; // the rest come back after AckWait
            }
        }
        if (released > 0) Log($"stopping: released {released} pulled but unprocessed messages for redelivery");
    }
}
