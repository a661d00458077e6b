using System.CommandLine;
using Siem.Agent;

// `siem-agent` — the host agent: collect, normalise, encrypt and ship logs.
var root = new RootCommand("siem-agent: collects, normalises, encrypts and ships logs to NATS JetStream.");
root.Subcommands.Add(EnrollCommand.Create());
root.Subcommands.Add(RunCommand.Create());
root.Subcommands.Add(StatusCommand.Create());
root.Subcommands.Add(RotateKeyCommand.Create());

return await root.Parse(args).InvokeAsync();
