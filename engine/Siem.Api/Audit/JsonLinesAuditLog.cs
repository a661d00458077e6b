using System.Text;
using System.Text.Json;
using Siem.Core.Security;

namespace Siem.Api.Audit;

/// <summary>Append-only JSON lines, one per write, fsynced before the request completes; the file is created 0600.</summary>
public sealed class JsonLinesAuditLog : IApiAuditLog, IDisposable
{
    private static readonly JsonSerializerOptions _json = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };
    private readonly SemaphoreSlim _gate = new(1, 1);

    public JsonLinesAuditLog(string path)
    {
        Path = path ?? throw new ArgumentNullException(nameof(path));
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path))!);
    }

    public string Path { get; }

    public async ValueTask WriteAsync(ApiAuditEntry entry, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(entry);
        byte[] line = Encoding.UTF8.GetBytes(JsonSerializer.Serialize(entry, _json) + "\n");
        await _gate.WaitAsync(cancellationToken);
        try
        {
            var options = new FileStreamOptions { Mode = FileMode.Append, Access = FileAccess.Write, Share = FileShare.Read };
            if (!OperatingSystem.IsWindows()) options.UnixCreateMode = SecureFile.OwnerOnly;
            await using var fs = new FileStream(Path, options);
            await fs.WriteAsync(line, cancellationToken);
            fs.Flush(flushToDisk: true);
        }
        finally
        {
            _gate.Release();
        }
    }

    public void Dispose() => _gate.Dispose();
}
