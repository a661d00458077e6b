namespace Siem.Nats.JetStream;

public sealed partial class NatsJSContext
{
    /// <summary>
    /// Makes sure a stream exists with <paramref name="config"/>'s settings, for processes that set up the streams they
    /// use at every start. A missing stream is created as given. An existing stream keeps its replica count and every
    /// limit <paramref name="config"/> leaves <c>null</c> (an operator's choice: <c>nats stream edit</c>); it is updated
    /// only when a setting <paramref name="config"/> names differs, and then on top of its current configuration.
    /// </summary>
    /// <remarks>
    /// Why not <see cref="CreateOrUpdateStreamAsync"/>: an update carries <c>num_replicas</c>, so a process with the
    /// default of 1 silently scaled an operator's R3 stream down to one node, and losing that node left the stream with
    /// no leader ("no responders") until it came back. Sending no update when nothing differs also keeps several
    /// processes starting at once (or retrying around a node failure) from proposing stream changes to the meta leader.
    /// </remarks>
    public async Task<StreamInfo> EnsureStreamAsync(StreamConfig config, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(config);
        StreamInfo existing;
        try
        {
            existing = await GetStreamAsync(config.Name, cancellationToken).ConfigureAwait(false);
        }
        catch (NatsJSApiException e) when (e.ErrCode == StreamNotFound)
        {
            try
            {
                return await CreateStreamAsync(config, cancellationToken).ConfigureAwait(false);
            }
            catch (NatsJSApiException raced) when (raced.ErrCode == StreamNameInUse)
            {
                existing = await GetStreamAsync(config.Name, cancellationToken).ConfigureAwait(false); // another process created it first
            }
        }
        var merged = Overlay(existing.Config, config);
        return merged == existing.Config ? existing : await UpdateStreamAsync(merged, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>JetStream err_code: a stream with that name but another configuration exists.</summary>
    internal const int StreamNameInUse = 10058;

    /// <summary><paramref name="current"/> with every setting <paramref name="wanted"/> names; replicas and unnamed limits stay.</summary>
    private static StreamConfig Overlay(StreamConfig current, StreamConfig wanted) => current with
    {
        Description = wanted.Description ?? current.Description,
        Subjects = wanted.Subjects is { } subjects && !(current.Subjects?.SequenceEqual(subjects, StringComparer.Ordinal) ?? false) ? subjects : current.Subjects,
        Retention = wanted.Retention,
        Storage = wanted.Storage,
        DuplicateWindow = wanted.DuplicateWindow ?? current.DuplicateWindow,
        MaxMsgs = wanted.MaxMsgs ?? current.MaxMsgs,
        MaxBytes = wanted.MaxBytes ?? current.MaxBytes,
        MaxAge = wanted.MaxAge ?? current.MaxAge,
        MaxMsgSize = wanted.MaxMsgSize ?? current.MaxMsgSize,
        MaxMsgsPerSubject = wanted.MaxMsgsPerSubject ?? current.MaxMsgsPerSubject,
        MaxConsumers = wanted.MaxConsumers ?? current.MaxConsumers,
        Discard = wanted.Discard,
        DenyDelete = wanted.DenyDelete,
        DenyPurge = wanted.DenyPurge,
        AllowDirect = wanted.AllowDirect,
        AllowRollupHeaders = wanted.AllowRollupHeaders,
    };
}
