using Siem.Core.Security;
using Siem.Nats;

namespace Siem.Engine.Enrollment;

/// <summary>
/// Answers agent enrollment requests on <c>siem.enroll</c> (queue group, so several engine replicas can run
/// it): the decision is <see cref="EnrollmentAuthority"/>'s; this class only moves bytes over NATS.
/// Start it with <see cref="AgentRequestResponder.StartAsync"/> (it answers as soon as that returns), stop it with <see cref="AgentRequestResponder.DisposeAsync"/>.
/// </summary>
public sealed class EnrollmentResponder : AgentRequestResponder
{
    public const string QueueGroup = "siem-enroll";
    private readonly EnrollmentAuthority _authority;
    private long _enrolled;
    private long _refused;

    public EnrollmentResponder(NatsConnection connection, AgentRegistry registry, EngineKeyPair currentKey, IEnumerable<string> enrollmentTokens, Action<string>? log = null)
        : this(connection, registry, () => currentKey, enrollmentTokens, log)
    {
    }

    /// <param name="currentKey">The engine key agents enrolling now get (it changes with <c>siem keys rotate</c>).</param>
    public EnrollmentResponder(NatsConnection connection, AgentRegistry registry, Func<EngineKeyPair> currentKey, IEnumerable<string> enrollmentTokens, Action<string>? log = null)
        : base(connection, EnrollmentMessages.Subject, QueueGroup, log)
    {
        _authority = new EnrollmentAuthority(registry, currentKey, enrollmentTokens);
    }

    public long Enrolled => Interlocked.Read(ref _enrolled);
    public long Refused => Interlocked.Read(ref _refused);

    protected override byte[] Answer(NatsMsg request)
    {
        EnrollmentMessages.Response response;
        try
        {
            response = _authority.Handle(request.Data.Span);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidOperationException)
        {
            response = new(false, "the engine could not record the enrollment; try again later");
            Log($"enrollment failed: {e.Message}");
        }
        if (response.Ok) Interlocked.Increment(ref _enrolled);
        else Interlocked.Increment(ref _refused);
        Log(response.Ok ? $"agent enrolled ({response.Subject})" : $"enrollment refused: {response.Error}");
        return EnrollmentMessages.Encode(response);
    }
}
