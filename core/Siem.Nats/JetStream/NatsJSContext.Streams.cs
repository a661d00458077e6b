using Siem.Nats.JetStream.Internal;

namespace Siem.Nats.JetStream;

public sealed partial class NatsJSContext
{
    /// <summary>JetStream err_code: stream not found.</summary>
    internal const int StreamNotFound = 10059;

    /// <summary>Creates a stream; fails with <see cref="NatsJSApiException"/> (err_code 10058) if one with another config exists.</summary>
    public async Task<StreamInfo> CreateStreamAsync(StreamConfig config, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(config);
        ValidateName(config.Name, "stream name");
        var r = await ApiRequestAsync($"STREAM.CREATE.{config.Name}", config, JetStreamJson.Default.StreamConfig, JetStreamJson.Default.StreamInfoResponse, cancellationToken).ConfigureAwait(false);
        return ToInfo(r);
    }

    /// <summary>Changes an existing stream (the server refuses changes to storage and retention).</summary>
    public async Task<StreamInfo> UpdateStreamAsync(StreamConfig config, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(config);
        ValidateName(config.Name, "stream name");
        var r = await ApiRequestAsync($"STREAM.UPDATE.{config.Name}", config, JetStreamJson.Default.StreamConfig, JetStreamJson.Default.StreamInfoResponse, cancellationToken).ConfigureAwait(false);
        return ToInfo(r);
    }

    public async Task<StreamInfo> CreateOrUpdateStreamAsync(StreamConfig config, CancellationToken cancellationToken = default)
    {
        try
        {
            return await UpdateStreamAsync(config, cancellationToken).ConfigureAwait(false);
        }
        catch (NatsJSApiException e) when (e.ErrCode == StreamNotFound)
        {
            return await CreateStreamAsync(config, cancellationToken).ConfigureAwait(false);
        }
    }

    public async Task<StreamInfo> GetStreamAsync(string name, CancellationToken cancellationToken = default)
    {
        ValidateName(name, "stream name");
        var r = await ApiRequestAsync($"STREAM.INFO.{name}", ReadOnlyMemory<byte>.Empty, JetStreamJson.Default.StreamInfoResponse, cancellationToken).ConfigureAwait(false);
        return ToInfo(r);
    }

    /// <summary>Deletes a stream and its messages; false when there was no such stream.</summary>
    public async Task<bool> DeleteStreamAsync(string name, CancellationToken cancellationToken = default)
    {
        ValidateName(name, "stream name");
        try
        {
            var r = await ApiRequestAsync($"STREAM.DELETE.{name}", ReadOnlyMemory<byte>.Empty, JetStreamJson.Default.SuccessResponse, cancellationToken).ConfigureAwait(false);
            return r.Success;
        }
        catch (NatsJSApiException e) when (e.ErrCode == StreamNotFound)
        {
            return false;
        }
    }

    /// <summary>Removes messages (all, or those on subjects matching <paramref name="subjectFilter"/>); returns how many.</summary>
    public async Task<ulong> PurgeStreamAsync(string stream, string? subjectFilter = null, CancellationToken cancellationToken = default)
    {
        ValidateName(stream, "stream name");
        var r = await ApiRequestAsync($"STREAM.PURGE.{stream}", new PurgeRequest(subjectFilter, null, null), JetStreamJson.Default.PurgeRequest, JetStreamJson.Default.PurgeResponse, cancellationToken).ConfigureAwait(false);
        return r.Purged;
    }

    /// <summary>Purges one subject keeping its newest <paramref name="keep"/> messages.</summary>
    internal async Task<ulong> PurgeSubjectAsync(string stream, string subject, ulong keep, CancellationToken cancellationToken)
    {
        var r = await ApiRequestAsync($"STREAM.PURGE.{stream}", new PurgeRequest(subject, keep, null), JetStreamJson.Default.PurgeRequest, JetStreamJson.Default.PurgeResponse, cancellationToken).ConfigureAwait(false);
        return r.Purged;
    }

    private static StreamInfo ToInfo(StreamInfoResponse r) => new()
    {
        Config = r.Config ?? new StreamConfig(),
        Created = r.Created,
        State = r.State ?? new StreamState(),
    };
}
