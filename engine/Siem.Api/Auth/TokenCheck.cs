namespace Siem.Api.Auth;

/// <summary>The outcome of checking a presented API token: the token, or the reason it is refused.</summary>
public readonly record struct TokenCheck(ApiToken? Token, string? Problem);
