using System.CommandLine;
using System.Text.Json;
using Siem.Lineage.Audit;

namespace Siem.Host.Commands;

/// <summary><c>siem audit verify [--data DIR] [--json]</c>: checks the hash chain of the audit log.</summary>
internal static class AuditCommand
{
    public static Command Create()
    {
        var data = new Option<string>("--data") { Description = "Data directory holding audit/audit.jsonl", DefaultValueFactory = _ => Path.Combine(".siem", "data") };
        var json = new Option<bool>("--json") { Description = "Print the result as one JSON object" };
        var verify = new Command("verify", "Check the audit log's hash chain; exit 1 naming the first broken line.");
        verify.Options.Add(data);
        verify.Options.Add(json);
        verify.SetAction(async (ParseResult pr, CancellationToken ct) =>
        {
            var log = new AuditLog(pr.GetValue(data)!);
            var result = await log.VerifyAsync(ct).ConfigureAwait(false);
            if (pr.GetValue(json))
            {
                Console.Out.WriteLine(JsonSerializer.Serialize(new Dictionary<string, object?>
                {
                    ["intact"] = result.Intact,
                    ["entries"] = result.Entries,
                    ["first_broken_seq"] = result.FirstBrokenSeq,
                    ["first_broken_line"] = result.FirstBrokenLine,
                    ["problem"] = result.Problem,
                    ["last_hash"] = result.LastHash,
                    ["path"] = log.Path,
                }));
            }
            else if (result.Intact)
            {
                Console.Out.WriteLine($"audit log intact: {result.Entries} entries, last hash {result.LastHash} ({log.Path})");
            }
            else
            {
                await Console.Error.WriteLineAsync($"siem audit verify: {log.Path}:{result.FirstBrokenLine}: chain broken at seq {result.FirstBrokenSeq}: {result.Problem} ({result.Entries} entries before it verify)").ConfigureAwait(false);
            }
            return result.Intact ? 0 : 1;
        });
        var cmd = new Command("audit", "The hash-chained audit log of purges and other compliance actions.");
        cmd.Subcommands.Add(verify);
        return cmd;
    }
}
