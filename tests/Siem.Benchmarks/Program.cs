using BenchmarkDotNet.Running;

// Micro-benchmarks (BenchmarkDotNet, memory diagnoser). Run: dotnet run -c Release --project tests/Siem.Benchmarks -- --filter '*'
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
