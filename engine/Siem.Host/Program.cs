using System.CommandLine;
using Siem.Host.Commands;

// `siem` — one host for every role and every analyst/operator command.
// Each command lives in Commands/<Name>Command.cs and exposes a static Create().
var root = new RootCommand("Siem: security log streaming, Sigma detection, search and right-to-be-forgotten purges.");
root.Subcommands.Add(BenchCommand.Create());
root.Subcommands.Add(RulesCommand.Create());
root.Subcommands.Add(SearchCommand.Create());
root.Subcommands.Add(DemoCommand.Create());
root.Subcommands.Add(ScanCommand.Create());
root.Subcommands.Add(FuzzCommand.Create());
root.Subcommands.Add(AuditCommand.Create());
root.Subcommands.Add(ServeCommand.Create());
root.Subcommands.Add(CertsCommand.Create());
root.Subcommands.Add(ConfigCommand.Create());
root.Subcommands.Add(PurgeCommand.Create());
root.Subcommands.Add(ApiTokenCommand.Create());
root.Subcommands.Add(LineageCommand.Create());
root.Subcommands.Add(KeysCommand.Create());

// SIGTERM/SIGINT cancel the command's token; a server finishing its group in flight needs longer than the 2 s default.
return await root.Parse(args).InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = TimeSpan.FromSeconds(30) });
