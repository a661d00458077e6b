using Siem.Collectors.Enrollment;
using Siem.Core.Security;
using Siem.Nats;

namespace Siem.Collectors.Agent;

/// <summary>
/// Keys that change while the agent runs. Engine key: the agent asks the engine which key to seal to (at connect, after
/// a reconnect, and every <see cref="AgentHostOptions.KeyCheckInterval"/>), switches when a rotation is announced and
/// proved, and keeps reporting the earlier keys its spooled batches still need until they are acknowledged. Identity:
/// after <c>siem-agent rotate-key</c> replaced <c>identity.json</c>, new batches are signed with the new key.
/// </summary>
public sealed partial class AgentHost
{
    private static readonly TimeSpan KeyPoll = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan KeyRequestTimeout = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan NoAnswerRetry = TimeSpan.FromSeconds(30);
    private readonly AgentSealer _sealer;
    private (DateTime Written, long Length) _identityStamp;

    /// <summary>Why the last engine key check failed (null when it worked): shown by <c>siem-agent status</c>.</summary>
    public string? KeyProblem { get; private set; }

    private async Task KeyLoopAsync()
    {
        var nextCheck = DateTimeOffset.MinValue;
        var wasConnected = false;
        string? lastLogged = null;
        while (!_background.IsCancellationRequested)
        {
            ReloadIdentityIfRotated();
            var connected = _publisher.IsConnected;
            if (connected && !wasConnected) nextCheck = DateTimeOffset.MinValue; // (re)connected: the engine may have rotated meanwhile
            wasConnected = connected;
            if (connected && DateTimeOffset.UtcNow >= nextCheck)
            {
                string? problem = null;
                var refused = false;
                try
                {
                    var switched = await CheckEngineKeyAsync().ConfigureAwait(false);
                    // After a switch, report at once that the old key is only pending now (so `siem keys retire` learns it).
                    nextCheck = switched ? DateTimeOffset.MinValue : DateTimeOffset.UtcNow + _options.KeyCheckInterval;
                }
                catch (EnrollmentException e)
                {
                    refused = true;
                    problem = e.Code == AgentKeyMessages.Codes.KeyRetired
                        ? $"{e.Message}. New batches are quarantined by the engine until this agent is enrolled again."
                        : e.Message;
                    nextCheck = DateTimeOffset.UtcNow + _options.KeyCheckInterval;
                }
                catch (NatsException e)
                {
                    problem = $"engine key check: no answer ({e.Message}); retrying in {NoAnswerRetry.TotalSeconds:0} s";
                    nextCheck = DateTimeOffset.UtcNow + (NoAnswerRetry < _options.KeyCheckInterval ? NoAnswerRetry : _options.KeyCheckInterval);
                }
                catch (OperationCanceledException) when (_background.IsCancellationRequested)
                {
                    return;
                }
                KeyProblem = problem;
                if (problem != null && problem != lastLogged)
                {
                    // A refusal is an error; no answer is not (an engine without the key service, or down): the agent keeps its key.
                    if (refused) Metrics.Error();
                    _options.Log(problem);
                }
                lastLogged = problem;
            }
            try
            {
                await Task.Delay(KeyPoll, _background.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>One check; true when the agent switched to a new engine key.</summary>
    private async Task<bool> CheckEngineKeyAsync()
    {
        var state = Enrollment;
        var pending = StillPending(state);
        var (keyId, publicKey) = await EngineKeyClient.CheckAsync(_connection, _sealer.Identity, state, [.. pending.Select(p => p.KeyId)], KeyRequestTimeout, _background.Token).ConfigureAwait(false);
        if (keyId == state.EngineKeyId)
        {
            if (pending.Count != (state.PendingEngineKeys?.Count ?? 0)) SaveEnrollment(state with { PendingEngineKeys = pending });
            return false;
        }
        var firstNew = _sealer.SwitchEngineKey(keyId, publicKey);
        SaveEnrollment(state with
        {
            EngineKeyId = keyId,
            EnginePublicKey = Convert.ToBase64String(publicKey),
            PendingEngineKeys = [.. pending, new PendingEngineKey(state.EngineKeyId, firstNew)],
        });
        _options.Log($"engine key rotated: sealing new batches to {keyId} (was {state.EngineKeyId}; batches before #{firstNew} stay sealed to it until acknowledged)");
        return true;
    }

    /// <summary>Earlier keys some unacknowledged batch may still be sealed to: acks complete in sequence order, so a key
    /// is done once everything numbered before its switch is acknowledged, or nothing is waiting at all.</summary>
    private List<PendingEngineKey> StillPending(EnrollmentState state)
    {
        var waiting = _shipper.SpoolBatches > 0;
        var completed = _shipper.CompletedThrough;
        return [.. (state.PendingEngineKeys ?? []).Where(p => waiting && completed + 1 < p.SealedBeforeSeq && p.KeyId != state.EngineKeyId)];
    }

    private void SaveEnrollment(EnrollmentState state)
    {
        state.Save(_options.StateDir);
        Enrollment = state;
    }

    private (DateTime, long) IdentityStamp()
    {
        var info = new FileInfo(Path.Combine(_options.StateDir, EnrollmentState.IdentityFile));
        return info.Exists ? (info.LastWriteTimeUtc, info.Length) : default;
    }

    /// <summary><c>siem-agent rotate-key</c> replaced identity.json (after the engine registered the new key): sign with it.</summary>
    private void ReloadIdentityIfRotated()
    {
        var stamp = IdentityStamp();
        if (stamp == _identityStamp) return;
        _identityStamp = stamp;
        try
        {
            var next = AgentIdentity.Load(Path.Combine(_options.StateDir, EnrollmentState.IdentityFile));
            var current = _sealer.Identity;
            if (next.SigningPublicKey.AsSpan().SequenceEqual(current.SigningPublicKey)) return;
            _sealer.SwitchIdentity(next);
            _options.Log($"identity key rotated: new batches are signed with {IdentityRotation.Fingerprint(next.SigningPublicKey)} (was {IdentityRotation.Fingerprint(current.SigningPublicKey)})");
        }
        catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException)
        {
            Metrics.Error();
            _options.Log($"identity.json changed but does not load ({e.Message}); still signing with the previous key");
        }
    }
}
