using System.CommandLine;
using Siem.Host.Demo;

namespace Siem.Host.Commands;

/// <summary><c>siem demo [--once] [--nats URL] [--input FILE]... [--data DIR] [--rules DIR]... [--json]</c>: agent → NATS → engine → SQLite on one machine.</summary>
internal static class DemoCommand
{
    public static Command Create()
    {
        var once = new Option<bool>("--once") { Description = "Stop when every input line is indexed and print a JSON summary" };
        var nats = new Option<string?>("--nats") { Description = "Use this NATS server (nats://host:port) instead of starting a private nats-server" };
        // Several values after one --input: a glob the shell expanded (--input logs/*.json).
        var input = new Option<string[]>("--input") { Description = "Log file, directory or glob to ship (repeatable; gzip/zip, UTF-16 and JSON arrays are converted; default: deploy/samples/*.log)", AllowMultipleArgumentsPerToken = true };
        var data = new Option<string>("--data") { Description = "Data directory (index, engine keys, agent state, broker store)", DefaultValueFactory = _ => Path.Combine(".siem", "data") };
        var rules = new Option<string[]>("--rules") { Description = "Extra Sigma rule file or directory, loaded with rules/packs (repeatable)", AllowMultipleArgumentsPerToken = true };
        var json = new Option<bool>("--json") { Description = "Print each alert as one JSON line" };
        var elasticsearch = new Option<string?>("--elasticsearch") { Description = "Index into this Elasticsearch/OpenSearch URL instead of SQLite (auth: SIEM_ES_USERNAME/SIEM_ES_PASSWORD or SIEM_ES_API_KEY)" };
        var http = new Option<string?>("--http") { Description = "Serve the web console and API on ADDRESS:PORT (default 127.0.0.1:8080, none with --once; 'off' = none); prints the URL and a one-time admin token" };
        var httpsCert = new Option<string?>("--https-cert") { Description = "Serve the console over HTTPS with this PEM certificate (with --https-key; e.g. api.pem from `siem certs init`)" };
        var httpsKey = new Option<string?>("--https-key") { Description = "PEM private key of --https-cert" };
        var cmd = new Command("demo", "Run agent, broker, engine and index on this machine over sample or given logs, printing alerts.");
        foreach (var o in new Option[] { once, nats, input, data, rules, json, elasticsearch, http, httpsCert, httpsKey }) cmd.Options.Add(o);
        cmd.SetAction(async (ParseResult pr, CancellationToken ct) =>
        {
            if ((pr.GetValue(httpsCert) is null) != (pr.GetValue(httpsKey) is null))
            {
                await Console.Error.WriteLineAsync("siem demo: --https-cert and --https-key go together").ConfigureAwait(false);
                return 2;
            }
            var options = new DemoOptions
            {
                Once = pr.GetValue(once),
                NatsUrl = pr.GetValue(nats),
                Inputs = pr.GetValue(input) ?? [],
                DataDir = pr.GetValue(data)!,
                RuleDirs = pr.GetValue(rules) ?? [],
                Json = pr.GetValue(json),
                ElasticsearchUrl = pr.GetValue(elasticsearch),
                Http = pr.GetValue(http),
                Https = pr.GetValue(httpsCert) is { } cert ? new Siem.Api.Https.ApiHttpsOptions { CertFile = cert, KeyFile = pr.GetValue(httpsKey)! } : null,
            };
            return await DemoRunner.RunAsync(options, Console.Out, Console.Error, ct).ConfigureAwait(false);
        });
        return cmd;
    }
}
