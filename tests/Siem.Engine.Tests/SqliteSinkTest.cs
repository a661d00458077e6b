using Siem.Engine.Index;

namespace Siem.Engine.Tests;

/// <summary>A SQLite index sink over a temp dir of its own, opened before each test and removed after it.</summary>
public abstract class SqliteSinkTest(string dirPrefix) : IAsyncLifetime
{
    protected string Dir { get; } = Directory.CreateTempSubdirectory(dirPrefix).FullName;

    /// <summary>The open sink; a test that reopens the index assigns the new one so it is disposed.</summary>
    protected SqliteIndexSink Sink { get; set; } = null!;

    public Task InitializeAsync()
    {
        Sink = SqliteIndexSink.Open(Dir);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await Sink.DisposeAsync();
        Directory.Delete(Dir, recursive: true);
    }
}
