using System.IO.Pipelines;
using System.Net.Sockets;

namespace Siem.Nats.Internal;

/// <summary>One live connection to one server: the socket, the (possibly TLS) stream and the pipe reading from it.</summary>
internal sealed class Transport(Socket socket, Stream stream, PipeReader reader, ServerAddress server)
{
    public Stream Stream { get; } = stream;
    public PipeReader Reader { get; } = reader;
    public ServerAddress Server { get; } = server;

    /// <summary>Breaks the connection so blocked reads and writes fail; safe to call from any thread, several times.</summary>
    public void Abort()
    {
        try
        {
            socket.Shutdown(SocketShutdown.Both);
        }
        catch (SocketException)
        {
        }
        catch (ObjectDisposedException)
        {
        }
        socket.Dispose();
    }

    /// <summary>Releases everything; call after the read and write loops have finished.</summary>
    public void Dispose()
    {
        Abort();
        Reader.Complete();
        try
        {
            Stream.Dispose();
        }
        catch (IOException)
        {
        }
    }
}
