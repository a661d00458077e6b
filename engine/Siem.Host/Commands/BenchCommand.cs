using System.CommandLine;

namespace Siem.Host.Commands;

/// <summary><c>siem bench ...</c>: benchmarks that print figures (never assertions).</summary>
internal static class BenchCommand
{
    public static Command Create()
    {
        var bench = new Command("bench", "Run a benchmark and print its figures.");
        bench.Subcommands.Add(Bench.TransportBench.CreateCommand());
        bench.Subcommands.Add(Bench.RulesBench.CreateCommand());
        bench.Subcommands.Add(Bench.AgentBench.CreateCommand());
        bench.Subcommands.Add(Bench.Soak.SoakBench.CreateCommand());
        bench.Subcommands.Add(Bench.PurgeBench.CreateCommand());
        bench.Subcommands.Add(Bench.PipelineBench.CreateCommand());
        bench.Subcommands.Add(Bench.IndexBench.CreateCommand());
        bench.Subcommands.Add(Bench.RetireScanBench.CreateCommand());
        return bench;
    }
}
