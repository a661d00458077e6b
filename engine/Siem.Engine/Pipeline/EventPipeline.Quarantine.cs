using System.Globalization;
using Siem.Nats;
using Siem.Nats.JetStream;

namespace Siem.Engine.Pipeline;

public sealed partial class EventPipeline
{
    public const string QuarantineReasonHeader = "Siem-Quarantine-Reason";
    public const string QuarantineDetailHeader = "Siem-Quarantine-Detail";
    public const string OriginalSubjectHeader = "Siem-Original-Subject";
    public const string OriginalStreamSeqHeader = "Siem-Original-Stream-Seq";
    public const string OriginalMsgIdHeader = "Siem-Original-Msg-Id";

    /// <summary>
    /// Copies the message (body and headers untouched, Nats-Msg-Id kept as Siem-Original-Msg-Id) to
    /// <c>siem.quarantine.&lt;reason&gt;</c>, waits for the PubAck, then acks the original. If the quarantine
    /// stream does not confirm, the original is nak'ed instead, so nothing is lost.
    /// </summary>
    private async Task QuarantineAsync(NatsJSMsg msg, string reason, string detail, CancellationToken cancellationToken)
    {
        var headers = new NatsHeaders();
        if (msg.Headers != null)
        {
            foreach (var (key, values) in msg.Headers)
            {
                string name = string.Equals(key, NatsJSContext.MsgIdHeader, StringComparison.OrdinalIgnoreCase) ? OriginalMsgIdHeader : key;
                foreach (var v in values) headers.Add(name, v);
            }
        }
        headers.Add(QuarantineReasonHeader, reason);
        headers.Add(QuarantineDetailHeader, Sanitize(detail));
        headers.Add(OriginalSubjectHeader, msg.Subject);
        string streamSeq = msg.Metadata.StreamSeq.ToString(CultureInfo.InvariantCulture);
        headers.Add(OriginalStreamSeqHeader, streamSeq);
        try
        {
            // The stream sequence identifies the original, so a redelivered quarantine is deduplicated.
            await _js.PublishAsync($"{_options.QuarantineSubjectPrefix}.{reason}", msg.Data, headers, $"{_options.Stream}:{streamSeq}", cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is NatsException or TimeoutException)
        {
            Log($"quarantine of stream message {streamSeq} ({reason}) not confirmed, will retry: {ex.Message}");
            await NakAllAsync([msg], cancellationToken).ConfigureAwait(false);
            return;
        }
        Stats.QuarantinedOne(reason);
        Log($"quarantined stream message {streamSeq} from '{msg.Subject}': {reason}: {detail}");
        try
        {
            await msg.AckAsync(cancellationToken).ConfigureAwait(false);
            Stats.Acked(1);
        }
        catch (NatsException ex)
        {
            Log($"ack of quarantined message {streamSeq} failed ({ex.Message}); redelivery is deduplicated by the quarantine stream");
        }
        _outstanding.TryRemove(msg, out _);
    }

    // Header values cannot carry CR/LF; details are short diagnostics.
    private static string Sanitize(string s)
    {
        var clean = s.Replace('\r', ' ').Replace('\n', ' ');
        return clean.Length > 500 ? clean[..500] : clean;
    }
}
