using System.Runtime.CompilerServices;

[assembly: InternalsVisibleTo("Siem.Nats.Tests")]
[assembly: InternalsVisibleTo("Siem.Benchmarks")]
