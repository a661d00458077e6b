using System.Buffers;

namespace Siem.Nats.Internal;

/// <summary>Receives parsed server operations. Spans are only valid during the call. Implemented by structs so the
/// generic parser is specialised without interface dispatch.</summary>
internal interface IServerOpHandler
{
    void OnMsg(ReadOnlySpan<byte> subject, long sid, ReadOnlySpan<byte> replyTo, in ReadOnlySequence<byte> headers, in ReadOnlySequence<byte> payload);
    void OnInfo(ReadOnlySpan<byte> json);
    void OnPing();
    void OnPong();
    void OnOk();
    void OnErr(ReadOnlySpan<byte> text);
}
