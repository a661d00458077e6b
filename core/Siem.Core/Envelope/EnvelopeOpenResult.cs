namespace Siem.Core.Envelope;

/// <summary>Outcome of <see cref="EnvelopeOpener.Open"/>; never an exception for bad input.</summary>
public sealed record EnvelopeOpenResult(bool Ok, EnvelopeFailure Failure, string? AgentId, ulong BatchSeq, byte[]? Plaintext, string? Detail)
{
    /// <summary>The tenant the agent enrolled under (set when the agent is known), so the engine can check the subject.</summary>
    public string? Tenant { get; init; }

    internal static EnvelopeOpenResult Fail(EnvelopeFailure failure, string detail, string? agentId = null, ulong seq = 0, string? tenant = null) =>
        new(false, failure, agentId, seq, null, detail) { Tenant = tenant };
}
