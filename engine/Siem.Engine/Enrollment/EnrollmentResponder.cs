using Siem.Core.Security;
using Siem.Nats;

namespace Siem.Engine.Enrollment;

/// <summary>
/// Answers agent enrollment requests on <c>siem.enroll</c> (queue group, so several engine replicas can run
/// it): the decision is <see cref="EnrollmentAuthority"/>'s; this class only moves bytes over NATS.
/// Start it with <see cref="StartAsync"/>, stop it with <see cref="DisposeAsync"/>.
/// </summary>
public sealed class EnrollmentResponder : IAsyncDisposable
{
    public const string QueueGroup = "siem-enroll";
    private readonly NatsConnection _connection;
    private readonly EnrollmentAuthority _authority;
    private readonly Action<string> _log;
    private readonly CancellationTokenSource _stop = new();
    private NatsSubscription? _subscription;
    private Task? _loop;

    public EnrollmentResponder(NatsConnection connection, AgentRegistry registry, EngineKeyPair currentKey, IEnumerable<string> enrollmentTokens, Action<string>? log = null)
        : this(connection, registry, () => currentKey, enrollmentTokens, log)
    {
    }

    /// <param name="currentKey">The engine key agents enrolling now get (it changes with <c>siem keys rotate</c>).</param>
    public EnrollmentResponder(NatsConnection connection, AgentRegistry registry, Func<EngineKeyPair> currentKey, IEnumerable<string> enrollmentTokens, Action<string>? log = null)
    {
        ArgumentNullException.ThrowIfNull(connection);
        _connection = connection;
        _authority = new EnrollmentAuthority(registry, currentKey, enrollmentTokens);
        _log = log ?? (_ => { });
    }

    public long Enrolled => Interlocked.Read(ref _enrolled);
    public long Refused => Interlocked.Read(ref _refused);
    private long _enrolled;
    private long _refused;

    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        _subscription = await _connection.SubscribeAsync(EnrollmentMessages.Subject, QueueGroup, cancellationToken).ConfigureAwait(false);
        _loop = Task.Run(() => LoopAsync(_subscription), CancellationToken.None);
    }

    private async Task LoopAsync(NatsSubscription subscription)
    {
        try
        {
            await foreach (var msg in subscription.ReadAllAsync(_stop.Token).ConfigureAwait(false))
            {
                if (msg.ReplyTo is null) continue;
                EnrollmentMessages.Response response;
                try
                {
                    response = _authority.Handle(msg.Data.Span);
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidOperationException)
                {
                    response = new(false, "the engine could not record the enrollment; try again later");
                    _log($"enrollment failed: {e.Message}");
                }
                if (response.Ok) Interlocked.Increment(ref _enrolled);
                else Interlocked.Increment(ref _refused);
                _log(response.Ok ? $"agent enrolled ({response.Subject})" : $"enrollment refused: {response.Error}");
                try
                {
                    await _connection.PublishAsync(msg.ReplyTo, EnrollmentMessages.Encode(response), cancellationToken: _stop.Token).ConfigureAwait(false);
                }
                catch (NatsException e)
                {
                    _log($"enrollment reply not sent: {e.Message}");
                }
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        if (_subscription is not null) await _subscription.DisposeAsync().ConfigureAwait(false);
        if (_loop is not null) await _loop.ConfigureAwait(false);
        _stop.Dispose();
    }
}
