using Siem.Engine.Pipeline;

namespace Siem.Engine.Tests;

/// <summary>The engine buffer's byte bound: the pull waits while it is full, an empty buffer takes any one message.</summary>
public sealed class ByteBudgetTests
{
    [Fact]
    public async Task Taking_waits_while_the_bytes_would_pass_the_limit_and_resumes_when_the_processor_returns_them()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        using var budget = new ByteBudget(limit: 1000);
        await budget.TakeAsync(600, timeout.Token);
        await budget.TakeAsync(400, timeout.Token); // exactly at the limit

        var third = budget.TakeAsync(1, timeout.Token).AsTask();
        await Task.Delay(100, timeout.Token);
        Assert.False(third.IsCompleted);
        Assert.Equal(1, budget.Waits);

        budget.Return(600);
        await third.WaitAsync(timeout.Token);
        Assert.Equal(401, budget.Used);
    }

    [Fact]
    public async Task An_empty_buffer_takes_a_message_larger_than_the_limit_and_the_next_one_waits_for_it()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        using var budget = new ByteBudget(limit: 100);
        await budget.TakeAsync(5000, timeout.Token).AsTask().WaitAsync(timeout.Token);

        var next = budget.TakeAsync(10, timeout.Token).AsTask();
        await Task.Delay(100, timeout.Token);
        Assert.False(next.IsCompleted);
        budget.Return(5000);
        await next.WaitAsync(timeout.Token);
        Assert.Equal(10, budget.Used);
    }

    [Fact]
    public async Task A_pipeline_whose_byte_budget_is_smaller_than_one_message_still_indexes_every_message()
    {
        await using var h = await PipelineHarness.StartAsync(options: _ => EngineOptions.Default with { MaxBufferedBytes = 1024, NakDelay = TimeSpan.FromMilliseconds(200) });
        for (int b = 1; b <= 5; b++) await h.PublishAsync(h.Seal((ulong)b, PipelineHarness.Events(h.Agent.AgentId, b, 40)));

        await h.WaitUntilAsync(async () => await h.CountAsync() == 200, "200 records indexed");
        await h.WaitDrainedAsync();
        Assert.Equal(5, h.Pipeline.Stats.MessagesAcked);
    }
}
