using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using NodaTime;
using Siem.Core.Security;
using Siem.Lineage.Audit;
using Siem.Lineage.Subjects;
using Siem.Lineage.Telemetry;

namespace Siem.Lineage.Purge;

/// <summary>
/// Runs right-to-be-forgotten purges as durable jobs: request (audited; the raw value sealed under a per-job key) →
/// approval (optional two-person rule) → one step per store, each saved in the job file when it completes, so a
/// crashed job resumes at the first step not done → verification of every store plus a byte scan of the data dir →
/// a certificate signed with the server key → the per-job key destroyed. Every transition is appended to the audit
/// log, which only ever sees the pseudonymous subject id.
/// </summary>
public sealed class PurgeCoordinator
{
    private readonly string _dataDir;
    private readonly IReadOnlyList<IPurgeTarget> _targets;
    private readonly SubjectPseudonymizer _pseudonymizer;
    private readonly AuditLog _audit;
    private readonly PurgeOptions _options;
    private readonly IClock _clock;

    public PurgeCoordinator(string dataDir, IReadOnlyList<IPurgeTarget> targets, SubjectPseudonymizer pseudonymizer, AuditLog audit, PurgeOptions? options = null, IClock? clock = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(dataDir);
        _dataDir = Path.GetFullPath(dataDir);
        _targets = targets ?? throw new ArgumentNullException(nameof(targets));
        _pseudonymizer = pseudonymizer ?? throw new ArgumentNullException(nameof(pseudonymizer));
        _audit = audit ?? throw new ArgumentNullException(nameof(audit));
        _options = options ?? PurgeOptions.Default;
        _clock = clock ?? SystemClock.Instance;
        Jobs = new PurgeJobStore(_dataDir);
    }

    public PurgeJobStore Jobs { get; }

    /// <summary>
    /// Records a purge request. Idempotent: an unfinished job for the same subject and scope is returned instead of a
    /// second one (the caller then resumes it).
    /// </summary>
    public async Task<PurgeJob> RequestAsync(string field, string value, string requestedBy, string reason, Instant? from = null, Instant? to = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(requestedBy);
        string subjectId = _pseudonymizer.SubjectId(field, value);
        DateTimeOffset? f = from?.ToDateTimeOffset(), t = to?.ToDateTimeOffset();
        var open = Jobs.List().FirstOrDefault(j => j.State != PurgeJobState.Certified && j.SubjectId == subjectId && j.From == f && j.To == t);
        if (open != null) return open;

        var now = Now();
        string id = "purge-" + now.ToString("yyyyMMdd'T'HHmmss", CultureInfo.InvariantCulture) + "-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4));
        var job = new PurgeJob
        {
            Id = id,
            State = _options.ApprovalsRequired > 0 ? PurgeJobState.Requested : PurgeJobState.Approved,
            SubjectField = field.Trim(),
            SubjectId = subjectId,
            RequestedBy = requestedBy,
            Reason = reason ?? "",
            RequestedAt = now,
            From = f,
            To = t,
            ApprovalsRequired = _options.ApprovalsRequired,
        };
        job.SealedValue = PurgeValueVault.Seal(Jobs.KeyPath(id), value.Trim());
        Jobs.Save(job);
        await AuditAsync(requestedBy, "purge.requested", job, new()
        {
            ["subject_field"] = job.SubjectField,
            ["reason"] = job.Reason,
            ["from"] = f?.ToString("O", CultureInfo.InvariantCulture) ?? "",
            ["to"] = t?.ToString("O", CultureInfo.InvariantCulture) ?? "",
            ["approvals_required"] = job.ApprovalsRequired.ToString(CultureInfo.InvariantCulture),
        }, cancellationToken).ConfigureAwait(false);
        if (job.ApprovalsRequired == 0)
            await AuditAsync("policy", "purge.approved", job, new() { ["rule"] = "no approval required by policy" }, cancellationToken).ConfigureAwait(false);
        return job;
    }

    /// <summary>Approves a requested purge. The two-person rule: the requester cannot approve, nobody approves twice.</summary>
    public async Task<PurgeJob> ApproveAsync(string jobId, string approver, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(approver);
        var job = Jobs.Load(jobId);
        if (job.State != PurgeJobState.Requested)
            throw new InvalidOperationException($"purge {jobId} is {Name(job.State)}, not waiting for approval");
        if (string.Equals(approver.Trim(), job.RequestedBy.Trim(), StringComparison.OrdinalIgnoreCase))
            throw new InvalidOperationException($"purge {jobId}: the requester '{job.RequestedBy}' cannot approve their own request (two-person rule)");
        if (job.Approvals.Exists(a => string.Equals(a.By, approver.Trim(), StringComparison.OrdinalIgnoreCase)))
            throw new InvalidOperationException($"purge {jobId}: '{approver}' has already approved it; another person must");
        job.Approvals.Add(new PurgeApproval(approver.Trim(), Now()));
        if (job.Approvals.Count >= job.ApprovalsRequired) job.State = PurgeJobState.Approved;
        Jobs.Save(job);
        await AuditAsync(approver, "purge.approved", job, new()
        {
            ["approvals"] = job.Approvals.Count.ToString(CultureInfo.InvariantCulture),
            ["approvals_required"] = job.ApprovalsRequired.ToString(CultureInfo.InvariantCulture),
        }, cancellationToken).ConfigureAwait(false);
        return job;
    }

    /// <summary>Runs (or resumes) an approved job to its certificate.</summary>
    public async Task<PurgeRunResult> RunAsync(string jobId, string actor, CancellationToken cancellationToken = default)
    {
        var job = Jobs.Load(jobId);
        if (job.State == PurgeJobState.Requested)
            throw new InvalidOperationException($"purge {jobId} needs {job.ApprovalsRequired - job.Approvals.Count} more approval(s) before it can run (`siem purge approve {jobId} --approved-by NAME`)");
        if (job.State == PurgeJobState.Certified)
            throw new InvalidOperationException($"purge {jobId} is already certified ({job.CertificatePath})");
        var value = PurgeValueVault.Open(Jobs.KeyPath(jobId), job.SealedValue)
            ?? throw new InvalidDataException($"purge {jobId}: the sealed subject value cannot be opened ({Jobs.KeyPath(jobId)} missing or damaged); request the purge again");
        bool resumed = job.State != PurgeJobState.Approved;
        var scope = ScopeOf(job, value);
        if (job.State != PurgeJobState.Verifying)
        {
            foreach (var discovery in _targets.OfType<IPurgeDiscovery>()) await discovery.DiscoverAsync(scope, cancellationToken).ConfigureAwait(false);
            Remember(job, scope);
        }
        if (!resumed)
        {
            job.State = PurgeJobState.Running;
            job.StartedAt = Now();
            Jobs.Save(job);
        }
        await AuditAsync(actor, resumed ? "purge.resumed" : "purge.started", job, new()
        {
            ["steps_done"] = string.Join(',', job.Steps.Select(s => s.Store)),
        }, cancellationToken).ConfigureAwait(false);

        long runStarted = System.Diagnostics.Stopwatch.GetTimestamp();
        string outcome = "failed";
        try
        {
            if (job.State == PurgeJobState.Running)
            {
                foreach (var target in _targets)
                {
                    if (job.StepDone(target.Name)) continue;
                    _options.Log?.Invoke($"purge {jobId}: {target.Name}...");
                    long began = System.Diagnostics.Stopwatch.GetTimestamp();
                    var result = await target.PurgeAsync(scope, cancellationToken).ConfigureAwait(false);
                    var took = System.Diagnostics.Stopwatch.GetElapsedTime(began);
                    PurgeMetrics.Step(took, target.Name);
                    Remember(job, scope);
                    job.Steps.Add(result);
                    Jobs.Save(job);
                    await AuditAsync(actor, "purge.step", job, StepDetails(result), cancellationToken).ConfigureAwait(false);
                    _options.Log?.Invoke($"purge {jobId}: {target.Name}: deleted {result.Deleted}, redacted {result.Redacted}, erased {result.Erased}, rewritten {result.Rewritten}, shredded {result.Shredded}{(result.Note is { } n ? " (" + n + ")" : "")} in {took.TotalSeconds:0.00} s");
                    if (string.Equals(_options.StopAfterStep, target.Name, StringComparison.Ordinal))
                        throw new PurgeInterruptedException($"purge {jobId} stopped after step {target.Name} (as asked)");
                }
                job.CompletedAt = Now();
                job.State = PurgeJobState.Verifying;
                Jobs.Save(job);
            }
            var certified = await CertifyAsync(job, scope, actor, cancellationToken).ConfigureAwait(false);
            outcome = "certified";
            return certified;
        }
        catch (Exception ex) when (ex is PurgeInterruptedException or OperationCanceledException)
        {
            outcome = "interrupted";
            throw;
        }
        catch (Exception ex) when (ex is not PurgeInterruptedException and not OperationCanceledException)
        {
            job.LastError = $"{ex.GetType().Name}: {ex.Message}";
            Jobs.Save(job);
            await AuditAsync(actor, "purge.failed", job, new() { ["error"] = job.LastError }, CancellationToken.None).ConfigureAwait(false);
            throw;
        }
        finally
        {
            PurgeMetrics.Run(System.Diagnostics.Stopwatch.GetElapsedTime(runStarted), outcome);
        }
    }

    private async Task<PurgeRunResult> CertifyAsync(PurgeJob job, PurgeScope scope, string actor, CancellationToken cancellationToken)
    {
        var checks = await VerifyAsync(scope, cancellationToken).ConfigureAwait(false);
        var key = ServerSigningKey.LoadOrCreate(_dataDir);
        var certifiedAt = Now();
        var cert = PurgeCertificate.Build(job, checks, rawValueScanned: true, certifiedAt, key);
        bool verified = cert["verified"]!.GetValue<bool>();
        var certPath = Jobs.CertificatePath(job.Id);
        var certText = cert.ToJsonString(PurgeJobStore.Json);
        SecureFile.WriteAllText(certPath, certText);
        job.CertificatePath = certPath;
        job.Verified = verified;
        job.State = PurgeJobState.Certified;
        job.SealedValue = null;
        job.LastError = null;
        Jobs.Save(job);
        PurgeValueVault.Destroy(Jobs.KeyPath(job.Id));
        await AuditAsync(actor, "purge.certified", job, new()
        {
            ["verified"] = verified ? "true" : "false",
            ["certificate_sha256"] = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(certText))),
            ["server_key_id"] = key.KeyId,
        }, cancellationToken).ConfigureAwait(false);
        return new PurgeRunResult(job, cert, verified, checks);
    }

    /// <summary>The verification scan: every target, then the raw bytes of the data dir.</summary>
    public async Task<IReadOnlyList<PurgeStoreCheck>> VerifyAsync(PurgeScope scope, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(scope);
        var checks = new List<PurgeStoreCheck>();
        foreach (var target in _targets)
        {
            long began = System.Diagnostics.Stopwatch.GetTimestamp();
            checks.Add(await target.VerifyAsync(scope, cancellationToken).ConfigureAwait(false));
            _options.Log?.Invoke($"verify {target.Name}: {(checks[^1].Clean ? "clean" : "NOT clean")} in {System.Diagnostics.Stopwatch.GetElapsedTime(began).TotalSeconds:0.00} s");
        }
        if (_options.BeforeByteScanAsync != null) await _options.BeforeByteScanAsync(cancellationToken).ConfigureAwait(false);
        long scanBegan = System.Diagnostics.Stopwatch.GetTimestamp();
        checks.Add(await DataDirByteScan.ScanAsync(_dataDir, scope.Matcher, scope.SubjectId, cancellationToken).ConfigureAwait(false));
        _options.Log?.Invoke($"verify {DataDirByteScan.StoreName}: {(checks[^1].Clean ? "clean" : "NOT clean")} in {System.Diagnostics.Stopwatch.GetElapsedTime(scanBegan).TotalSeconds:0.00} s");
        return checks;
    }

    /// <summary>What a purge of the subject would find, without changing anything (audited as a dry run).</summary>
    public async Task<IReadOnlyList<PurgeStoreCheck>> DryRunAsync(string field, string value, string requestedBy, Instant? from = null, Instant? to = null, CancellationToken cancellationToken = default)
    {
        var scope = new PurgeScope
        {
            JobId = "dry-run", DataDir = _dataDir, Field = field.Trim(), SubjectId = _pseudonymizer.SubjectId(field, value), Value = value.Trim(), From = from, To = to,
        };
        foreach (var discovery in _targets.OfType<IPurgeDiscovery>()) await discovery.DiscoverAsync(scope, cancellationToken).ConfigureAwait(false);
        var checks = await VerifyAsync(scope, cancellationToken).ConfigureAwait(false);
        await _audit.AppendAsync(requestedBy, "purge.dry_run", "purge/dry-run", new Dictionary<string, string>
        {
            ["subject_id"] = scope.SubjectId,
            ["subject_field"] = scope.Field,
            ["places_found"] = checks.Sum(c => Math.Max(0, c.RawValueHits) + c.SubjectIdHits).ToString(CultureInfo.InvariantCulture),
        }, cancellationToken).ConfigureAwait(false);
        return checks;
    }

    /// <summary>The scope of a job (the value when known: null after certification).</summary>
    public PurgeScope ScopeOf(PurgeJob job, string? value)
    {
        ArgumentNullException.ThrowIfNull(job);
        return new PurgeScope
        {
            JobId = job.Id,
            DataDir = _dataDir,
            Field = job.SubjectField,
            SubjectId = job.SubjectId,
            Value = value,
            From = job.From is { } f ? Instant.FromDateTimeOffset(f) : null,
            To = job.To is { } t ? Instant.FromDateTimeOffset(t) : null,
            RecordIds = new HashSet<string>(job.RecordIds, StringComparer.Ordinal),
            DeletedAlertIds = new HashSet<string>(job.DeletedAlertIds, StringComparer.Ordinal),
            RedactedAlertIds = new HashSet<string>(job.RedactedAlertIds, StringComparer.Ordinal),
        };
    }

    private static void Remember(PurgeJob job, PurgeScope scope)
    {
        job.RecordIds.Clear();
        job.RecordIds.AddRange(scope.RecordIds.Order(StringComparer.Ordinal));
        job.DeletedAlertIds.Clear();
        job.DeletedAlertIds.AddRange(scope.DeletedAlertIds.Order(StringComparer.Ordinal));
        job.RedactedAlertIds.Clear();
        job.RedactedAlertIds.AddRange(scope.RedactedAlertIds.Order(StringComparer.Ordinal));
    }

    private static Dictionary<string, string> StepDetails(PurgeStoreResult r) => new(StringComparer.Ordinal)
    {
        ["store"] = r.Store,
        ["deleted"] = r.Deleted.ToString(CultureInfo.InvariantCulture),
        ["redacted"] = r.Redacted.ToString(CultureInfo.InvariantCulture),
        ["erased"] = r.Erased.ToString(CultureInfo.InvariantCulture),
        ["rewritten"] = r.Rewritten.ToString(CultureInfo.InvariantCulture),
        ["shredded"] = r.Shredded.ToString(CultureInfo.InvariantCulture),
        ["note"] = r.Note ?? "",
    };

    private Task<AuditEntry> AuditAsync(string actor, string action, PurgeJob job, Dictionary<string, string> details, CancellationToken cancellationToken)
    {
        details["subject_id"] = job.SubjectId;
        return _audit.AppendAsync(actor, action, "purge/" + job.Id, details, cancellationToken);
    }

    private DateTimeOffset Now() => _clock.GetCurrentInstant().ToDateTimeOffset();

    internal static string Name(PurgeJobState s) => s.ToString().ToLowerInvariant();
}
