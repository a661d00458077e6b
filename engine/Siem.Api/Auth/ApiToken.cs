namespace Siem.Api.Auth;

/// <summary>An API token as stored: never the token itself, only its SHA-256.</summary>
public sealed record ApiToken
{
    public required string Id { get; init; }
    public required string Name { get; init; }
    public required string Role { get; init; }
    /// <summary>Lower-case hex SHA-256 of the token string.</summary>
    public required string Sha256 { get; init; }
    public DateTimeOffset CreatedAt { get; init; }
    public string? CreatedBy { get; init; }
    public DateTimeOffset? ExpiresAt { get; init; }
    public DateTimeOffset? RevokedAt { get; init; }
}
