using Siem.Nats.JetStream.Internal;

namespace Siem.Nats.JetStream;

public sealed partial class NatsJSContext
{
    /// <summary>JetStream err_code: no message found.</summary>
    internal const int NoMessageFound = 10037;

    /// <summary>Reads the message stored at <paramref name="seq"/> (<c>$JS.API.STREAM.MSG.GET</c>).</summary>
    public async Task<StreamMsg> GetMsgAsync(string stream, ulong seq, CancellationToken cancellationToken = default)
    {
        ValidateName(stream, "stream name");
        var r = await ApiRequestAsync($"STREAM.MSG.GET.{stream}", new MsgGetRequest(seq, null), JetStreamJson.Default.MsgGetRequest, JetStreamJson.Default.MsgGetResponse, cancellationToken).ConfigureAwait(false);
        return ToStreamMsg(r, stream);
    }

    /// <summary>The newest message on <paramref name="subject"/>, or null when the stream has none.</summary>
    public async Task<StreamMsg?> GetLastMsgForSubjectAsync(string stream, string subject, CancellationToken cancellationToken = default)
    {
        ValidateName(stream, "stream name");
        ArgumentException.ThrowIfNullOrEmpty(subject);
        try
        {
            var r = await ApiRequestAsync($"STREAM.MSG.GET.{stream}", new MsgGetRequest(null, subject), JetStreamJson.Default.MsgGetRequest, JetStreamJson.Default.MsgGetResponse, cancellationToken).ConfigureAwait(false);
            return ToStreamMsg(r, stream);
        }
        catch (NatsJSApiException e) when (e.ErrCode == NoMessageFound)
        {
            return null;
        }
    }

    /// <summary>The first message on <paramref name="subject"/> at or after <paramref name="seq"/> (<c>next_by_subj</c>), or null when there is none.</summary>
    public async Task<StreamMsg?> GetNextMsgForSubjectAsync(string stream, string subject, ulong seq, CancellationToken cancellationToken = default)
    {
        ValidateName(stream, "stream name");
        ArgumentException.ThrowIfNullOrEmpty(subject);
        try
        {
            var r = await ApiRequestAsync($"STREAM.MSG.GET.{stream}", new MsgGetRequest(seq, null, subject), JetStreamJson.Default.MsgGetRequest, JetStreamJson.Default.MsgGetResponse, cancellationToken).ConfigureAwait(false);
            return ToStreamMsg(r, stream);
        }
        catch (NatsJSApiException e) when (e.ErrCode == NoMessageFound)
        {
            return null;
        }
    }

    /// <summary>
    /// Deletes one message. With <paramref name="erase"/> (the default) the server overwrites its bytes on disk
    /// with random data, which is what a right-to-be-forgotten purge needs.
    /// </summary>
    public async Task DeleteMsgAsync(string stream, ulong seq, bool erase = true, CancellationToken cancellationToken = default)
    {
        ValidateName(stream, "stream name");
        var r = await ApiRequestAsync($"STREAM.MSG.DELETE.{stream}", new MsgDeleteRequest(seq, NoErase: !erase), JetStreamJson.Default.MsgDeleteRequest, JetStreamJson.Default.SuccessResponse, cancellationToken).ConfigureAwait(false);
        if (!r.Success) throw new NatsJSException($"stream {stream}: deleting message {seq} was not confirmed");
    }

    private static StreamMsg ToStreamMsg(MsgGetResponse r, string stream)
    {
        var m = r.Message ?? throw new NatsJSException($"stream {stream}: message get answer has no message");
        NatsHeaders? headers = null;
        if (!string.IsNullOrEmpty(m.Hdrs)) headers = HeaderParser.Parse(Convert.FromBase64String(m.Hdrs));
        var data = string.IsNullOrEmpty(m.Data) ? ReadOnlyMemory<byte>.Empty : Convert.FromBase64String(m.Data);
        return new StreamMsg(m.Subject, m.Seq, headers, data, m.Time);
    }
}
