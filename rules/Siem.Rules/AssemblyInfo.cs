using System.Runtime.CompilerServices;

// Tests check the compiled evaluator against the internal reference interpreter; the bench measures internals.
[assembly: InternalsVisibleTo("Siem.Rules.Tests")]
[assembly: InternalsVisibleTo("Siem.Benchmarks")]
[assembly: InternalsVisibleTo("siem")]
