namespace Siem.Collectors.Enrollment;

/// <summary>The engine refused the enrollment or a key request (bad token, revoked id, retired key, ...) or did not answer.</summary>
public sealed class EnrollmentException(string message, Exception? inner = null) : Exception(message, inner)
{
    /// <summary>The engine's refusal code for key requests (<c>AgentKeyMessages.Codes</c>), when it gave one.</summary>
    public string? Code { get; init; }
}
