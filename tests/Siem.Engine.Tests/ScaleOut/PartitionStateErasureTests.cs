using System.Text;
using Siem.Engine.ScaleOut;

namespace Siem.Engine.Tests.ScaleOut;

/// <summary>
/// Issue #6, disk remnants: a partition snapshot replaced by a normal save must not stay in nats-server's block files
/// (a KV bucket keeping one revision drops the old one on the put without overwriting its bytes). The bucket keeps two
/// revisions and the save erases the replaced one, which a scan of the server's store dir shows.
/// </summary>
public sealed class PartitionStateErasureTests() : EngineBrokerTest("siem-partition-erase-")
{
    private readonly CancellationTokenSource _timeout = new(TimeSpan.FromSeconds(25));

    public override async Task DisposeAsync()
    {
        _timeout.Dispose();
        await base.DisposeAsync();
    }

    private static PartitionSnapshot Snapshot(ulong seq, string marker) => new(seq,
        Encoding.UTF8.GetBytes($$"""{"version":2,"rules":[],"marker":"{{marker}}"}"""), Encoding.UTF8.GetBytes("""{"version":1,"open":[]}"""));

    [Fact]
    public async Task A_save_erases_the_snapshot_it_replaces_from_the_servers_block_files()
    {
        var log = new List<string>();
        var store = await PartitionStateStore.OpenAsync(Js, ScaleOutOptions.Default with { Partitions = 2 }, log.Add, _timeout.Token);
        string stream = "KV_" + ScaleOutOptions.Default.StateBucket, subject = $"$KV.{ScaleOutOptions.Default.StateBucket}.p0";

        Assert.True(await store.SaveAsync(0, Snapshot(7, "first-" + Guid.NewGuid().ToString("N")), _timeout.Token));
        var first = (await Js.GetLastMsgForSubjectAsync(stream, subject, _timeout.Token))!;
        // The scan sees what the server stores (its block files are flushed shortly after the write).
        await WaitUntilAsync(() => StoreHolds(first.Data.ToArray()), "the first snapshot in the store dir");

        Assert.True(await store.SaveAsync(0, Snapshot(9, "second-" + Guid.NewGuid().ToString("N")), _timeout.Token));
        var second = (await Js.GetLastMsgForSubjectAsync(stream, subject, _timeout.Token))!;

        Assert.Equal(1, store.Erased);
        Assert.Equal(1UL, (await Js.GetStreamAsync(stream, _timeout.Token)).State.Messages);
        Assert.Equal(9UL, (await store.LoadAsync(0, _timeout.Token))!.Sequence);
        await WaitUntilAsync(() => StoreHolds(second.Data.ToArray()), "the second snapshot in the store dir");
        await WaitUntilAsync(() => !StoreHolds(first.Data.ToArray()), "the replaced snapshot overwritten in the store dir");
        Assert.Empty(log);
    }

    /// <summary>Whether any file under the server's store dir holds these bytes.</summary>
    private bool StoreHolds(byte[] needle) =>
        Directory.EnumerateFiles(Server.StoreDir, "*", SearchOption.AllDirectories).Any(f => File.ReadAllBytes(f).AsSpan().IndexOf(needle) >= 0);

    private async Task WaitUntilAsync(Func<bool> condition, string what)
    {
        while (!condition())
        {
            if (_timeout.IsCancellationRequested) Assert.Fail($"timed out waiting for {what}");
            await Task.Delay(50, CancellationToken.None);
        }
    }
}
