using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Nodes;
using NodaTime;
using Siem.Engine.Search;
using Siem.Host.Purge;
using Siem.Lineage.Purge;
using Siem.Lineage.Subjects;

namespace Siem.Host.Commands;

/// <summary>
/// <c>siem purge --subject FIELD=VALUE</c> (request and run), <c>purge approve JOB</c>, <c>purge resume JOB</c> and
/// <c>purge verify CERT</c>. Exit codes: 0 = certified and verified, 1 = certified but the verification found
/// something (or a verify failed), 2 = bad input, 3 = waiting for approval.
/// </summary>
internal static class PurgeCommand
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    public static Command Create()
    {
        var data = DataOption();
        var subject = new Option<string?>("--subject") { Description = "The data subject: FIELD=VALUE, e.g. user.name=alice or source.ip=203.0.113.7" };
        var reason = new Option<string>("--reason") { Description = "Why (kept in the audit log and the certificate)", DefaultValueFactory = _ => "" };
        var requestedBy = new Option<string>("--requested-by") { Description = "Who asks for it", DefaultValueFactory = _ => Environment.UserName };
        var from = new Option<string?>("--from") { Description = "Scope start (event time, inclusive): ISO-8601 or relative (-30d)" };
        var to = new Option<string?>("--to") { Description = "Scope end (event time, exclusive)" };
        var dryRun = new Option<bool>("--dry-run") { Description = "Only report where the subject is found; change nothing" };
        var json = new Option<bool>("--json") { Description = "Print the certificate (or dry-run findings) as JSON, \"verified\" at the top level" };
        var nats = NatsOption();
        var es = EsOption();
        var cmd = new Command("purge", "Erase a data subject from every store and prove it with a signed certificate.");
        foreach (var o in new Option[] { data, subject, reason, requestedBy, from, to, dryRun, json, nats, es }) cmd.Options.Add(o);
        cmd.SetAction(async (ParseResult pr, CancellationToken ct) =>
        {
            if (pr.GetValue(subject) is not { } selector) return Fail("--subject FIELD=VALUE is required (or use `purge approve|resume|verify`)");
            string field, value;
            Instant? f, t;
            try
            {
                (field, value) = SubjectPseudonymizer.ParseSelector(selector);
                var now = SystemClock.Instance.GetCurrentInstant();
                f = pr.GetValue(from) is { } fs ? TimeExpression.Parse(fs, now) : null;
                t = pr.GetValue(to) is { } ts ? TimeExpression.Parse(ts, now) : null;
            }
            catch (FormatException ex)
            {
                return Fail(ex.Message);
            }
            var dir = pr.GetValue(data)!;
            if (!Directory.Exists(dir)) return Fail($"data dir '{Path.GetFullPath(dir)}' does not exist");
            if (!TryEsUrl(pr.GetValue(es), out var esUrl)) return Fail($"--es '{pr.GetValue(es)}' is not an http(s) URL");
            await using var runtime = await PurgeRuntime.OpenAsync(dir, pr.GetValue(nats), esUrl, ApprovalsRequired(dir), Console.Error, ct).ConfigureAwait(false);
            string actor = pr.GetValue(requestedBy)!;
            if (pr.GetValue(dryRun))
            {
                var checks = await runtime.Coordinator.DryRunAsync(field, value, actor, f, t, ct).ConfigureAwait(false);
                PrintChecks(checks, pr.GetValue(json), dry: true);
                return 0;
            }
            var job = await runtime.Coordinator.RequestAsync(field, value, actor, pr.GetValue(reason)!, f, t, ct).ConfigureAwait(false);
            return await RunAsync(runtime, job, actor, pr.GetValue(json), ct).ConfigureAwait(false);
        });
        cmd.Subcommands.Add(Approve());
        cmd.Subcommands.Add(Resume());
        cmd.Subcommands.Add(PurgeVerifyCommand.Create());
        return cmd;
    }

    internal static Option<string> DataOption() =>
        new("--data") { Description = "Data directory", DefaultValueFactory = _ => Path.Combine(".siem", "data") };

    internal static Option<string?> EsOption() =>
        new("--es") { Description = "The index is this Elasticsearch/OpenSearch URL, not the SQLite index of the data dir (auth: SIEM_ES_USERNAME/SIEM_ES_PASSWORD or SIEM_ES_API_KEY); ledger, keys and jobs stay in --data" };

    internal static bool TryEsUrl(string? text, out Uri? url)
    {
        url = null;
        if (text == null) return true;
        if (!Uri.TryCreate(text, UriKind.Absolute, out var u) || (u.Scheme != Uri.UriSchemeHttp && u.Scheme != Uri.UriSchemeHttps)) return false;
        url = u;
        return true;
    }

    internal static Option<string?> NatsOption() =>
        new("--nats") { Description = "NATS server of the running platform (default: start a private one over <data>/nats when it exists)" };

    private static Command Approve()
    {
        var job = new Argument<string>("job") { Description = "Purge job id" };
        var by = new Option<string>("--approved-by") { Description = "Who approves (not the requester)", Required = true };
        var data = DataOption();
        var nats = NatsOption();
        var es = EsOption();
        var json = new Option<bool>("--json") { Description = "Print the certificate as JSON when the approval lets the job run" };
        var cmd = new Command("approve", "Approve a requested purge (two-person rule); it runs once it has its approvals.");
        cmd.Arguments.Add(job);
        foreach (var o in new Option[] { by, data, nats, es, json }) cmd.Options.Add(o);
        cmd.SetAction(async (ParseResult pr, CancellationToken ct) =>
        {
            var dir = pr.GetValue(data)!;
            if (!TryEsUrl(pr.GetValue(es), out var esUrl)) return Fail($"--es '{pr.GetValue(es)}' is not an http(s) URL");
            await using var runtime = await PurgeRuntime.OpenAsync(dir, pr.GetValue(nats), esUrl, ApprovalsRequired(dir), Console.Error, ct).ConfigureAwait(false);
            try
            {
                var approved = await runtime.Coordinator.ApproveAsync(pr.GetValue(job)!, pr.GetValue(by)!, ct).ConfigureAwait(false);
                return await RunAsync(runtime, approved, pr.GetValue(by)!, pr.GetValue(json), ct).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is InvalidOperationException or FileNotFoundException)
            {
                return Fail(ex.Message);
            }
        });
        return cmd;
    }

    private static Command Resume()
    {
        var job = new Argument<string>("job") { Description = "Purge job id (see <data>/purge/)" };
        var data = DataOption();
        var nats = NatsOption();
        var es = EsOption();
        var json = new Option<bool>("--json") { Description = "Print the certificate as JSON" };
        var cmd = new Command("resume", "Resume an interrupted purge from the first step not done.");
        cmd.Arguments.Add(job);
        foreach (var o in new Option[] { data, nats, es, json }) cmd.Options.Add(o);
        cmd.SetAction(async (ParseResult pr, CancellationToken ct) =>
        {
            var dir = pr.GetValue(data)!;
            if (!TryEsUrl(pr.GetValue(es), out var esUrl)) return Fail($"--es '{pr.GetValue(es)}' is not an http(s) URL");
            await using var runtime = await PurgeRuntime.OpenAsync(dir, pr.GetValue(nats), esUrl, ApprovalsRequired(dir), Console.Error, ct).ConfigureAwait(false);
            try
            {
                var j = runtime.Coordinator.Jobs.Load(pr.GetValue(job)!);
                return await RunAsync(runtime, j, Environment.UserName, pr.GetValue(json), ct).ConfigureAwait(false);
            }
            catch (FileNotFoundException ex)
            {
                return Fail(ex.Message);
            }
        });
        return cmd;
    }

    private static async Task<int> RunAsync(PurgeRuntime runtime, PurgeJob job, string actor, bool json, CancellationToken ct)
    {
        if (job.State == PurgeJobState.Requested)
        {
            await Console.Error.WriteLineAsync($"purge {job.Id}: requested; waiting for {job.ApprovalsRequired - job.Approvals.Count} approval(s): siem purge approve {job.Id} --approved-by NAME").ConfigureAwait(false);
            if (json) Console.Out.WriteLine(JsonSerializer.Serialize(new { verified = false, purge_id = job.Id, state = "requested" }));
            return 3;
        }
        PurgeRunResult result;
        try
        {
            result = await runtime.Coordinator.RunAsync(job.Id, actor, ct).ConfigureAwait(false);
        }
        catch (InvalidOperationException ex)
        {
            return Fail(ex.Message);
        }
        if (json)
        {
            Console.Out.WriteLine(result.Certificate.ToJsonString(Indented));
        }
        else
        {
            PrintChecks(result.Checks, false, dry: false);
            Console.Out.WriteLine($"purge {job.Id}: {(result.Verified ? "VERIFIED" : "NOT VERIFIED")}; certificate {result.Job.CertificatePath}");
        }
        return result.Verified ? 0 : 1;
    }

    internal static void PrintChecks(IReadOnlyList<PurgeStoreCheck> checks, bool json, bool dry)
    {
        if (json)
        {
            var arr = new JsonArray();
            foreach (var c in checks)
                arr.Add(new JsonObject { ["store"] = c.Store, ["raw_value_hits"] = c.RawValueHits, ["subject_id_hits"] = c.SubjectIdHits, ["where"] = new JsonArray([.. c.Where.Select(w => (JsonNode?)w)]) });
            Console.Out.WriteLine(new JsonObject { ["dry_run"] = dry, ["verified"] = !dry && checks.All(c => c.Clean), ["stores"] = arr }.ToJsonString(Indented));
            return;
        }
        foreach (var c in checks)
        {
            string raw = c.RawValueHits < 0 ? "value not scanned" : $"{c.RawValueHits} value hit(s)";
            Console.Out.WriteLine($"{c.Store,-16} {(c.Clean ? "clean" : dry ? "found" : "NOT CLEAN")}: {raw}, {c.SubjectIdHits} subject hit(s)");
            foreach (var w in c.Where.Take(10)) Console.Out.WriteLine($"    {w}");
        }
    }

    /// <summary>The two-person rule comes from <c>&lt;data&gt;/purge/policy.json</c> (<c>{"approvals_required": 1}</c>), not from the requester.</summary>
    internal static int ApprovalsRequired(string dataDir)
    {
        var path = Path.Combine(Path.GetFullPath(dataDir), "purge", "policy.json");
        if (!File.Exists(path)) return 0;
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllBytes(path));
            return doc.RootElement.TryGetProperty("approvals_required", out var n) && n.TryGetInt32(out int v) && v >= 0
                ? v
                : throw new InvalidDataException($"{path}: \"approvals_required\" must be a non-negative integer");
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"{path}: not valid JSON: {ex.Message}", ex);
        }
    }

    private static int Fail(string message)
    {
        Console.Error.WriteLine($"siem purge: {message}");
        return 2;
    }
}
