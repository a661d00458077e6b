namespace Siem.Core.Security;

/// <summary>What <see cref="AgentRegistry.MergeShared"/> did with another host's record of an agent.</summary>
/// <param name="Record">The agent's record here afterwards.</param>
/// <param name="Conflict">The two were different enrollments of one id; the shared one won.</param>
public sealed record SharedAgentMerge(AgentRecord Record, SharedAgentMergeOutcome Outcome, bool Conflict);
