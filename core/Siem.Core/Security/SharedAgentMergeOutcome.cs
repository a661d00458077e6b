namespace Siem.Core.Security;

/// <summary>How another host's record of an agent changed this host's registry.</summary>
public enum SharedAgentMergeOutcome
{
    /// <summary>This host already knew as much.</summary>
    Unchanged,

    /// <summary>An agent this host did not know (enrolled through another host).</summary>
    Added,

    /// <summary>The agent was revoked on another host: revoked here from now on.</summary>
    Revoked,

    /// <summary>An identity rotation or a newer key report from another host.</summary>
    Updated,
}
