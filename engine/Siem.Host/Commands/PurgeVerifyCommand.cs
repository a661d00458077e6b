using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Nodes;
using Siem.Core.Security;
using Siem.Host.Purge;
using Siem.Lineage.Purge;
using Siem.Lineage.Subjects;

namespace Siem.Host.Commands;

/// <summary>
/// <c>siem purge verify CERT [--subject FIELD=VALUE]</c>: checks the certificate's signature against the data dir's
/// server key and runs the verification scan again. The certificate never holds the value, so a full scan needs it
/// again as <c>--subject</c> (it must match the certificate's pseudonymous id); without it only the pseudonymous scan
/// runs (subject id, the subject's record ids) and the result says the value was not scanned.
/// </summary>
internal static class PurgeVerifyCommand
{
    public static Command Create()
    {
        var cert = new Argument<string>("certificate") { Description = "The certificate file (<data>/purge/<id>.certificate.json)" };
        var subject = new Option<string?>("--subject") { Description = "FIELD=VALUE again, to scan for the raw value too" };
        var data = PurgeCommand.DataOption();
        var nats = PurgeCommand.NatsOption();
        var es = PurgeCommand.EsOption();
        var json = new Option<bool>("--json") { Description = "Print the result as JSON" };
        var cmd = new Command("verify", "Check a purge certificate's signature and re-run the verification scan.");
        cmd.Arguments.Add(cert);
        foreach (var o in new Option[] { subject, data, nats, es, json }) cmd.Options.Add(o);
        cmd.SetAction(async (ParseResult pr, CancellationToken ct) =>
        {
            var path = pr.GetValue(cert)!;
            if (!File.Exists(path)) return Fail($"certificate '{path}' does not exist");
            var text = await File.ReadAllTextAsync(path, ct).ConfigureAwait(false);
            var dir = pr.GetValue(data)!;
            var keyPath = ServerSigningKey.PathFor(dir);
            byte[]? trusted = File.Exists(keyPath) ? ServerSigningKey.Load(keyPath).PublicKey : null;
            var problem = PurgeCertificate.CheckSignature(text, trusted);
            if (problem != null)
            {
                if (pr.GetValue(json)) Console.Out.WriteLine(JsonSerializer.Serialize(new { verified = false, signature_valid = false, problem }));
                return Fail($"{path}: {problem}", 1);
            }
            var certJson = JsonNode.Parse(text)!.AsObject();
            string purgeId = certJson["purge_id"]!.GetValue<string>();
            string subjectId = certJson["subject"]!["subject_id"]!.GetValue<string>();
            if (!PurgeCommand.TryEsUrl(pr.GetValue(es), out var esUrl)) return Fail($"--es '{pr.GetValue(es)}' is not an http(s) URL");
            await using var runtime = await PurgeRuntime.OpenAsync(dir, pr.GetValue(nats), esUrl, 0, Console.Error, ct).ConfigureAwait(false);
            string? value = null;
            if (pr.GetValue(subject) is { } selector)
            {
                var (field, v) = SubjectPseudonymizer.ParseSelector(selector);
                if (runtime.Pseudonymizer.SubjectId(field, v) != subjectId)
                    return Fail($"--subject does not match the certificate's subject (its pseudonymous id differs)");
                value = v.Trim();
            }
            var job = runtime.Coordinator.Jobs.Load(purgeId);
            var checks = await runtime.Coordinator.VerifyAsync(runtime.Coordinator.ScopeOf(job, value), ct).ConfigureAwait(false);
            bool clean = checks.All(c => c.Clean);
            bool verified = clean && value != null;
            await runtime.Audit.AppendAsync(Environment.UserName, "purge.verify", "purge/" + purgeId, new Dictionary<string, string>
            {
                ["subject_id"] = subjectId, ["signature_valid"] = "true", ["clean"] = clean ? "true" : "false", ["raw_value_scanned"] = value != null ? "true" : "false",
            }, ct).ConfigureAwait(false);
            if (pr.GetValue(json))
            {
                Console.Out.WriteLine(new JsonObject
                {
                    ["verified"] = verified, ["signature_valid"] = true, ["clean"] = clean, ["raw_value_scanned"] = value != null, ["purge_id"] = purgeId,
                }.ToJsonString());
            }
            else
            {
                PurgeCommand.PrintChecks(checks, false, dry: false);
                Console.Out.WriteLine($"certificate {purgeId}: signature valid; scan {(clean ? "clean" : "NOT CLEAN")}{(value == null ? " (pseudonymous only: pass --subject FIELD=VALUE to scan for the value)" : "")}");
            }
            return clean ? 0 : 1;
        });
        return cmd;
    }

    private static int Fail(string message, int code = 2)
    {
        Console.Error.WriteLine($"siem purge verify: {message}");
        return code;
    }
}
