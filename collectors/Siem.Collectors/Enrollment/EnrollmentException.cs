namespace Siem.Collectors.Enrollment;

/// <summary>The engine refused the enrollment (bad token, revoked id, ...) or did not answer.</summary>
public sealed class EnrollmentException(string message, Exception? inner = null) : Exception(message, inner);
