using Siem.Core.Security;
using Siem.Nats;

namespace Siem.Engine.Enrollment;

/// <summary>
/// Answers enrolled agents' key requests on <c>siem.keys.&lt;tenant&gt;.&lt;agent&gt;.{engine|rotate}</c> (queue group,
/// so engine replicas share them): which engine key to seal to, and identity key rotations. The decisions are
/// <see cref="AgentKeyAuthority"/>'s; this class moves bytes over NATS. Runs whether or not enrollment is open.
/// </summary>
public sealed class AgentKeyResponder : IAsyncDisposable
{
    public const string QueueGroup = "siem-keys";
    private readonly NatsConnection _connection;
    private readonly AgentKeyAuthority _authority;
    private readonly Action<string> _log;
    private readonly CancellationTokenSource _stop = new();
    private NatsSubscription? _subscription;
    private Task? _loop;
    private long _answered;
    private long _refused;

    public AgentKeyResponder(NatsConnection connection, AgentKeyAuthority authority, Action<string>? log = null)
    {
        _connection = connection ?? throw new ArgumentNullException(nameof(connection));
        _authority = authority ?? throw new ArgumentNullException(nameof(authority));
        _log = log ?? (_ => { });
    }

    public long Answered => Interlocked.Read(ref _answered);
    public long Refused => Interlocked.Read(ref _refused);

    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        _subscription = await _connection.SubscribeAsync(AgentKeyMessages.AllSubjects, QueueGroup, cancellationToken).ConfigureAwait(false);
        _loop = Task.Run(() => LoopAsync(_subscription), CancellationToken.None);
    }

    private async Task LoopAsync(NatsSubscription subscription)
    {
        try
        {
            await foreach (var msg in subscription.ReadAllAsync(_stop.Token).ConfigureAwait(false))
            {
                if (msg.ReplyTo is null) continue;
                var reply = Answer(msg.Subject, msg.Data.Span);
                try
                {
                    await _connection.PublishAsync(msg.ReplyTo, reply, cancellationToken: _stop.Token).ConfigureAwait(false);
                }
                catch (NatsException e)
                {
                    _log($"key reply not sent: {e.Message}");
                }
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
        }
    }

    private byte[] Answer(string subject, ReadOnlySpan<byte> body)
    {
        // siem.keys.<tenant>.<agent>.<operation>: the broker lets only that agent publish there.
        var tokens = subject.Split('.');
        var (tenant, agent, operation) = tokens.Length == 5 ? (tokens[2], tokens[3], tokens[4]) : ("", "", "");
        try
        {
            switch (operation)
            {
                case AgentKeyMessages.EngineKeyOperation:
                    var key = _authority.HandleEngineKey(tenant, agent, body);
                    Count(key.Ok, $"engine key check by '{agent}'", key.Error);
                    return EnrollmentMessages.Encode(key);
                case AgentKeyMessages.RotateOperation:
                    var rotated = _authority.HandleRotate(tenant, agent, body);
                    Count(rotated.Ok, $"agent '{agent}' rotated its identity key; the old key verifies until {rotated.PreviousKeyValidUntil:u}", rotated.Error, always: true);
                    return EnrollmentMessages.Encode(rotated);
                default:
                    Count(false, "", $"unknown key request subject '{subject}'");
                    return EnrollmentMessages.Encode(new AgentKeyMessages.EngineKeyResponse(false, $"unknown key request subject '{subject}' (expected {AgentKeyMessages.SubjectPrefix}.<tenant>.<agent>.engine|rotate)", AgentKeyMessages.Codes.BadRequest));
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidOperationException or KeyNotFoundException)
        {
            Count(false, "", $"'{agent}' {operation}: {e.Message}");
            return EnrollmentMessages.Encode(new AgentKeyMessages.EngineKeyResponse(false, "the engine could not record the change; try again later"));
        }
    }

    private void Count(bool ok, string done, string? error, bool always = false)
    {
        if (ok) Interlocked.Increment(ref _answered);
        else Interlocked.Increment(ref _refused);
        // Key checks are routine (every agent, every few minutes): only refusals and rotations are worth a line.
        if (!ok) _log($"key request refused: {error}");
        else if (always) _log(done);
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        if (_subscription is not null) await _subscription.DisposeAsync().ConfigureAwait(false);
        if (_loop is not null) await _loop.ConfigureAwait(false);
        _stop.Dispose();
    }
}
