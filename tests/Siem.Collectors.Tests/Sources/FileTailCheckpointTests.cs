using System.Diagnostics.Metrics;
using System.Text.Json;
using Siem.Collectors.Sources;
using static Siem.Collectors.Tests.Sources.SourceTestKit;

namespace Siem.Collectors.Tests.Sources;

public sealed class FileTailCheckpointTests
{
    [Fact]
    public async Task The_checkpoint_names_identity_path_and_offset_and_forgets_a_rotated_file_once_it_is_finished_and_committed()
    {
        using var dir = new TempDir();
        using var cts = Timeout();
        var options = FastOptions(dir, "app.log");
        var log = dir.File("app.log");
        Append(log, "old 0\nold 1\n");
        await using var source = new FileTailSource(options);
        await using var reader = source.ReadAsync(cts.Token).GetAsyncEnumerator(cts.Token);
        var old = await reader.TakeAsync(2);
        File.Move(log, dir.File("app.log.1"));
        Append(log, "new 0\n");
        var fresh = (await reader.TakeAsync(1))[0];
        var next = reader.MoveNextAsync(); // the source works while the consumer waits for a line
        while (source.OpenFiles.Count > 1)
        {
            await Task.Delay(20, cts.Token); // the rotated file is closed after RotatedFileGrace without growth
        }

        await source.CommitAsync(fresh, cts.Token);
        Append(log, "new 1\n");
        Assert.True(await next);

        using var checkpoint = JsonDocument.Parse(File.ReadAllText(options.CheckpointPath));
        var entry = Assert.Single(checkpoint.RootElement.GetProperty("files").EnumerateArray());
        Assert.Equal(fresh.SourceKey, "file:" + entry.GetProperty("identity").GetString());
        Assert.Equal(log, entry.GetProperty("path").GetString());
        Assert.Equal(6, entry.GetProperty("offset").GetInt64());
        Assert.NotEqual(old[0].SourceKey, fresh.SourceKey);
        Assert.False(File.Exists(options.CheckpointPath + ".tmp"));
    }

    [Fact]
    public async Task Nothing_is_written_before_a_commit_and_a_damaged_checkpoint_is_a_clear_error()
    {
        using var dir = new TempDir();
        using var cts = Timeout();
        var options = FastOptions(dir, "*.log");
        Append(dir.File("a.log"), "line\n");
        await using (var source = new FileTailSource(options))
        {
            await using var reader = source.ReadAsync(cts.Token).GetAsyncEnumerator(cts.Token);
            await reader.TakeAsync(1);
        }

        Assert.False(File.Exists(options.CheckpointPath));
        Directory.CreateDirectory(Path.GetDirectoryName(options.CheckpointPath)!);
        File.WriteAllText(options.CheckpointPath, "{\"version\":1,\"files\":[{\"identity\":\"oops\"");

        await using var broken = new FileTailSource(options);
        var error = await Assert.ThrowsAsync<InvalidDataException>(async () =>
        {
            await foreach (var unused in broken.ReadAsync(cts.Token))
            {
            }
        });
        Assert.Contains(options.CheckpointPath, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task StartAtEnd_skips_what_existing_files_hold_on_the_first_start_only_and_excluded_files_are_ignored()
    {
        using var dir = new TempDir();
        using var cts = Timeout();
        Append(dir.File("a.log"), "history\n");
        Append(dir.File("skip.log"), "excluded\n");
        var options = FastOptions(dir, "*.log") with { StartAtEnd = true, Exclude = [dir.File("skip.log")] };
        await using var source = new FileTailSource(options);
        await using var reader = source.ReadAsync(cts.Token).GetAsyncEnumerator(cts.Token);
        var pending = reader.TakeAsync(2);
        await Task.Delay(100, cts.Token); // let the first scan place a.log at its end
        Append(dir.File("skip.log"), "still excluded\n");
        Append(dir.File("a.log"), "live\n");
        Append(dir.File("b.log"), "new file from its start\n");

        var lines = await pending;

        Assert.Equal(["live", "new file from its start"], lines.Select(l => l.Text));
    }

    [Fact]
    public async Task Counters_are_published_on_the_Siem_Agent_meter_tagged_with_the_source_name()
    {
        using var dir = new TempDir();
        using var cts = Timeout();
        var options = FastOptions(dir, "*.log") with { MaxLineBytes = 4 };
        var measured = new Dictionary<string, long>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == SourceStats.MeterName)
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            foreach (var tag in tags)
            {
                if (tag.Key == "source" && (string?)tag.Value == "file:" + options.Paths[0])
                {
                    lock (measured)
                    {
                        measured[instrument.Name] = measured.GetValueOrDefault(instrument.Name) + value;
                    }
                }
            }
        });
        listener.Start();
        await File.WriteAllBytesAsync(dir.File("m.log"), [.. "toolong\n"u8, 0xFF, (byte)'\n'], cts.Token);

        await using var source = new FileTailSource(options);
        await using var reader = source.ReadAsync(cts.Token).GetAsyncEnumerator(cts.Token);
        await reader.TakeAsync(2);

        lock (measured)
        {
            Assert.Equal(2, measured["siem.agent.source.lines"]);
            Assert.Equal(10, measured["siem.agent.source.bytes"]);
            Assert.Equal(1, measured["siem.agent.source.lines.truncated"]);
            Assert.Equal(1, measured["siem.agent.source.lines.invalid_utf8"]);
        }
    }
}
