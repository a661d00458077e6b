using System.CommandLine;
using Siem.Lineage;
using Siem.Lineage.Ledger;

namespace Siem.Host.Commands;

/// <summary><c>siem lineage show [--data DIR] RECORD_ID|ALERT_ID [--json]</c>: the whole path of one record or alert from the ledger.</summary>
internal static class LineageCommand
{
    public static Command Create()
    {
        var cmd = new Command("lineage", "Where records and alerts came from and went (the lineage ledger under <data>/lineage).");
        cmd.Subcommands.Add(CreateShow());
        return cmd;
    }

    private static Command CreateShow()
    {
        var id = new Argument<string>("id") { Description = "A record id (siem search --json prints record_id) or an alert id" };
        var data = new Option<string>("--data") { Description = "Data directory holding lineage/ledger.db", DefaultValueFactory = _ => Path.Combine(".siem", "data") };
        var json = new Option<bool>("--json") { Description = "One JSON object" };
        var show = new Command("show", "The whole path of a record (source → agent batch → stream/seq → engine → index → alerts → channels) or of an alert.");
        show.Arguments.Add(id);
        show.Options.Add(data);
        show.Options.Add(json);
        show.SetAction((ParseResult pr, CancellationToken ct) => ShowAsync(pr.GetValue(data)!, pr.GetValue(id)!, pr.GetValue(json), Console.Out, Console.Error, ct));
        return show;
    }

    internal static async Task<int> ShowAsync(string dataDir, string id, bool asJson, TextWriter stdout, TextWriter stderr, CancellationToken cancellationToken)
    {
        string path = LineagePaths.Ledger(dataDir);
        if (!File.Exists(path))
        {
            await stderr.WriteLineAsync($"siem lineage show: no lineage ledger at {path}; run `./siem demo --data {dataDir}` (or a server with the lineage role) first, or pass --data DIR").ConfigureAwait(false);
            return 1;
        }
        if (string.IsNullOrWhiteSpace(id))
        {
            await stderr.WriteLineAsync("siem lineage show: give a record id or an alert id").ConfigureAwait(false);
            return 2;
        }
        await using var ledger = LineageLedger.OpenFile(path);
        if (await ledger.RecordPathAsync(id.Trim(), cancellationToken).ConfigureAwait(false) is { } record)
        {
            await stdout.WriteLineAsync(asJson ? LineageShowOutput.ToJson(record) : LineageShowOutput.ToText(record)).ConfigureAwait(false);
            return 0;
        }
        if (await ledger.AlertPathAsync(id.Trim(), cancellationToken).ConfigureAwait(false) is { } alert)
        {
            await stdout.WriteLineAsync(asJson ? LineageShowOutput.ToJson(alert) : LineageShowOutput.ToText(alert)).ConfigureAwait(false);
            return 0;
        }
        await stderr.WriteLineAsync($"siem lineage show: no record or alert '{id}' in the ledger {path} (ids come from `siem search --json`: record_id, or the id= of an alert; a purged subject's records are gone)").ConfigureAwait(false);
        return 1;
    }
}
