using Siem.Core.Security;
using Siem.Nats;

namespace Siem.Engine.Enrollment;

/// <summary>
/// Answers enrolled agents' key requests on <c>siem.keys.&lt;tenant&gt;.&lt;agent&gt;.{engine|rotate}</c> (queue group,
/// so engine replicas share them): which engine key to seal to, and identity key rotations. The decisions are
/// <see cref="AgentKeyAuthority"/>'s; this class moves bytes over NATS. Runs whether or not enrollment is open.
/// </summary>
public sealed class AgentKeyResponder : AgentRequestResponder
{
    public const string QueueGroup = "siem-keys";
    private readonly AgentKeyAuthority _authority;
    private long _answered;
    private long _refused;

    public AgentKeyResponder(NatsConnection connection, AgentKeyAuthority authority, Action<string>? log = null)
        : base(connection, AgentKeyMessages.AllSubjects, QueueGroup, log)
    {
        _authority = authority ?? throw new ArgumentNullException(nameof(authority));
    }

    public long Answered => Interlocked.Read(ref _answered);
    public long Refused => Interlocked.Read(ref _refused);

    protected override byte[] Answer(NatsMsg request) => Answer(request.Subject, request.Data.Span);

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
        if (!ok) Log($"key request refused: {error}");
        else if (always) Log(done);
    }
}
