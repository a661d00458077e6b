using System.CommandLine;

// `siem-agent` — the host agent: collect, normalise, encrypt and ship logs.
var root = new RootCommand("siem-agent: collects, normalises, encrypts and ships logs to NATS JetStream.");

return await root.Parse(args).InvokeAsync();
