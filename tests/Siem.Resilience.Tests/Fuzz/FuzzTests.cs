using Siem.Host.Fuzz;
using Xunit.Abstractions;

namespace Siem.Resilience.Tests.Fuzz;

/// <summary>
/// Short seeded fuzz runs (a fixed number of inputs from a fixed seed, so a failure replays exactly with
/// <c>siem fuzz TARGET --seed S</c>); longer runs go through the command.
/// </summary>
public sealed class FuzzTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData("syslog", 1, 4000)]
    [InlineData("syslog", 2, 4000)]
    [InlineData("auditd", 1, 3000)]
    [InlineData("json", 1, 4000)]
    [InlineData("sigma", 1, 600)]
    [InlineData("envelope", 1, 1500)]
    public async Task Mutated_inputs_break_no_promise_of_the_target(string target, int seed, int inputs)
    {
        // A time cap as well, so a slow machine shortens the run instead of stretching the suite.
        var report = await FuzzRunner.RunAsync(FuzzTargets.Create(target), seed, inputs, TimeSpan.FromSeconds(6), TimeSpan.FromSeconds(10));
        output.WriteLine($"{report.Iterations} inputs in {report.Elapsed.TotalSeconds:0.0} s: {string.Join(", ", report.Counters.Select(c => $"{c.Key} {c.Value}"))}");
        Assert.True(report.Findings.Count == 0, string.Join("\n", report.Findings));
        Assert.True(report.Iterations >= 100, $"only {report.Iterations} inputs ran");
    }

    [Fact]
    public async Task A_hanging_input_is_reported_as_a_hang_with_the_input_instead_of_blocking()
    {
        var report = await FuzzRunner.RunAsync(new SleepingTarget(), seed: 1, maxIterations: 10, TimeSpan.FromSeconds(10), hangAfter: TimeSpan.FromMilliseconds(300));
        var hang = Assert.Single(report.Findings);
        Assert.Equal("hang", hang.Kind);
        Assert.Equal("sleep forever", hang.Input);
    }

    [Fact]
    public async Task The_same_seed_produces_the_same_inputs()
    {
        var first = await FuzzRunner.RunAsync(FuzzTargets.Create("syslog"), 7, 300, TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(10));
        var second = await FuzzRunner.RunAsync(FuzzTargets.Create("syslog"), 7, 300, TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(10));
        Assert.Equal(300, first.Iterations);
        Assert.Equal(first.Counters.OrderBy(c => c.Key), second.Counters.OrderBy(c => c.Key));
    }

    private sealed class SleepingTarget : FuzzTarget
    {
        private readonly ManualResetEventSlim _never = new();

        public override string Name => "sleep";
        public override string Description => "blocks";

        public override void RunOne(FuzzMutator mutator)
        {
            CurrentInput = "sleep forever";
            _never.Wait(TimeSpan.FromSeconds(20));
        }
    }
}
