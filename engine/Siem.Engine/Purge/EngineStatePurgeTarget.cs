using System.Globalization;
using Siem.Core.Security;
using Siem.Engine.Control;
using Siem.Lineage.Purge;

namespace Siem.Engine.Purge;

/// <summary>
/// The engines' detection state: running engines are told to forget the subject (a purge notice on
/// <see cref="LiveChanges"/>, ids only) and the step waits until every running engine confirmed it saved its state
/// without the subject (<see cref="EngineRoster"/>; bounded by <see cref="ConfirmLimit"/>, and who did not confirm is
/// in the step's note, so in the certificate). Then the state files under each engine state dir (<c>correlation.json</c>,
/// <c>suppression.json</c>: open windows with their matched events, open alerts) are rewritten without the subject,
/// for engines that are not running, and snapshots moved aside as unreadable that hold it are deleted. Notices older
/// than <see cref="LiveChangePublisher.NoticeRetention"/> are removed, so they do not pile up in the bucket.
/// </summary>
public sealed class EngineStatePurgeTarget(IReadOnlyList<string> stateDirs, LiveChangePublisher? engines) : IPurgeTarget
{
    public const string CorrelationFile = "correlation.json";
    public const string SuppressionFile = "suppression.json";

    public string Name => "engine-state";

    /// <summary>How long the step waits for the running engines' confirmations.</summary>
    public TimeSpan ConfirmLimit { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>The state dir of the engine of a data dir (<c>&lt;data&gt;/engine/state</c>).</summary>
    public static string StateDirOf(string dataDir) => Path.Combine(dataDir, "engine", "state");

    public async Task<PurgeStoreResult> PurgeAsync(PurgeScope scope, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(scope);
        var forget = SubjectForgetting.Of(scope);
        string told = "running engines not told (no NATS)";
        if (engines != null)
        {
            int parts = (await engines.PurgeAnnouncedAsync(forget, cancellationToken).ConfigureAwait(false)).Revisions.Count;
            var confirmation = await engines.WaitAppliedAsync(forget.JobId, parts, ConfirmLimit, cancellationToken).ConfigureAwait(false);
            int removed = await engines.RemoveExpiredNoticesAsync(confirmation.Complete ? null : forget.JobId, cancellationToken).ConfigureAwait(false);
            told = string.Create(CultureInfo.InvariantCulture, $"running engines told ({parts} notice part(s)): {confirmation.Describe(ConfirmLimit)}; notices of {removed} purge(s) older than {engines.NoticeRetention.TotalDays:0.##} day(s) removed from {LiveChanges.Bucket}");
        }
        // After the confirmations: a confirmed engine saved its state without the subject and keeps it so.
        var total = Clean(forget);
        return new PurgeStoreResult(Name, Deleted: total.Removed.Total, Erased: total.Aside, Rewritten: total.Files,
            Note: string.Create(CultureInfo.InvariantCulture,
                $"{total.Removed.Matches} correlation matches, {total.Removed.Groups} windows and {total.Removed.Alerts} open alerts removed from {total.Files} state file rewrite(s); {total.Aside} unreadable snapshot(s) deleted; {told}"));
    }

    public Task<PurgeStoreCheck> VerifyAsync(PurgeScope scope, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(scope);
        var forget = SubjectForgetting.Of(scope);
        long raw = scope.Matcher == null ? -1 : 0, ids = 0;
        var where = new List<string>();
        foreach (var (path, kind) in Files())
        {
            var bytes = File.ReadAllBytes(path);
            bool holdsValue = scope.Matcher is { } m && m.Count(bytes) > 0;
            bool concerns;
            try
            {
                concerns = Scrub(bytes, kind, forget, out _) != null;
            }
            catch (InvalidDataException)
            {
                concerns = forget.RecordIds.Any(id => System.Text.Encoding.UTF8.GetString(bytes).Contains(id, StringComparison.Ordinal));
            }
            if (holdsValue) raw++;
            if (concerns) ids++;
            if (holdsValue || concerns) where.Add($"{path} holds the subject");
        }
        return Task.FromResult(new PurgeStoreCheck(Name, raw, ids, where));
    }

    private readonly record struct Cleaned(CorrelationStateScrubber.Removed Removed, int Files, int Aside)
    {
        public static Cleaned operator +(Cleaned a, Cleaned b) => new(a.Removed + b.Removed, a.Files + b.Files, a.Aside + b.Aside);
    }

    private Cleaned Clean(SubjectForgetting forget)
    {
        var total = new Cleaned();
        foreach (var (path, kind) in Files())
        {
            var bytes = File.ReadAllBytes(path);
            byte[]? clean;
            CorrelationStateScrubber.Removed removed = default;
            try
            {
                clean = Scrub(bytes, kind, forget, out removed);
            }
            catch (InvalidDataException) when (kind == StateKind.Aside)
            {
                clean = null;
            }
            if (kind == StateKind.Aside)
            {
                // Moved aside because it could not be restored: nobody reads it again, so it goes when it holds the subject.
                if (clean == null && !(forget.Value is { } m && m.Count(bytes) > 0)) continue;
                File.Delete(path);
                total += new Cleaned(removed, 0, 1);
                continue;
            }
            if (clean == null) continue;
            SecureFile.WriteAllBytes(path, clean);
            total += new Cleaned(removed, 1, 0);
        }
        return total;
    }

    private enum StateKind { Correlation, Suppression, Aside }

    private static byte[]? Scrub(byte[] bytes, StateKind kind, SubjectForgetting forget, out CorrelationStateScrubber.Removed removed)
    {
        removed = default;
        return kind switch
        {
            StateKind.Correlation => CorrelationStateScrubber.ScrubCorrelation(bytes, forget, out removed),
            StateKind.Suppression => CorrelationStateScrubber.ScrubSuppression(bytes, forget, out removed),
            _ => forget.RecordIds.Any(id => System.Text.Encoding.UTF8.GetString(bytes).Contains(id, StringComparison.Ordinal)) ? bytes : null,
        };
    }

    private IEnumerable<(string Path, StateKind Kind)> Files()
    {
        foreach (var dir in stateDirs)
        {
            if (!Directory.Exists(dir)) continue;
            foreach (var path in Directory.GetFiles(dir).Order(StringComparer.Ordinal))
            {
                var name = Path.GetFileName(path);
                if (name == CorrelationFile) yield return (path, StateKind.Correlation);
                else if (name == SuppressionFile) yield return (path, StateKind.Suppression);
                else if ((name.StartsWith(CorrelationFile + ".unreadable-", StringComparison.Ordinal) || name.StartsWith(SuppressionFile + ".unreadable-", StringComparison.Ordinal))
                    && !name.EndsWith(".tmp", StringComparison.Ordinal)) yield return (path, StateKind.Aside);
            }
        }
    }
}
