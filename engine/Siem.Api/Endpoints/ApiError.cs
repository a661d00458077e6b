namespace Siem.Api.Endpoints;

/// <summary>Every error body of the API: a stable code and what went wrong and what to do.</summary>
/// <param name="Error">bad_request, unauthorized, forbidden, not_found, conflict, payload_too_large, rate_limited, not_available, not_announced, internal_error.</param>
/// <param name="Detail">For a person: what went wrong, naming the field or id, and what to do.</param>
public sealed record ApiError(string Error, string Detail);
