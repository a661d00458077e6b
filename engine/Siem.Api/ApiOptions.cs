using Siem.Api.Auth;

namespace Siem.Api;

/// <summary>How the HTTP API runs. Paths default to files under <see cref="DataDir"/>.</summary>
public sealed record ApiOptions
{
    /// <summary>The data directory of the host (index.db lives here); the API keeps its own files under <c>api/</c>.</summary>
    public required string DataDir { get; init; }

    /// <summary>API tokens (SHA-256 hashes only), mode 0600. Default <c>&lt;data&gt;/api/tokens.json</c>.</summary>
    public string? TokenFile { get; init; }

    /// <summary>Alert triage state (SQLite). Default <c>&lt;data&gt;/api/triage.db</c>.</summary>
    public string? TriageFile { get; init; }

    /// <summary>Rules uploaded through the API and the enable/disable list. Default <c>&lt;data&gt;/rules</c>.</summary>
    public string? RulesDir { get; init; }

    /// <summary>Read-only rule packs listed next to the uploaded rules (e.g. <c>rules/packs</c>).</summary>
    public IReadOnlyList<string> RulePacks { get; init; } = [];

    /// <summary>Field-mapping pipeline used when testing and replaying rules; null = none.</summary>
    public string? PipelinePath { get; init; }

    /// <summary>JWT bearer validation; null = only API tokens are accepted.</summary>
    public JwtValidationOptions? Jwt { get; init; }

    /// <summary>Requests per minute per caller (token, or client address when anonymous); more get 429.</summary>
    public int RequestsPerMinute { get; init; } = 600;

    /// <summary>Largest request body accepted; larger gets 413. Rule YAML and pasted sample events fit easily.</summary>
    public long MaxRequestBodyBytes { get; init; } = 1024 * 1024;

    /// <summary>Live alert stream: alerts buffered per browser before the oldest are dropped (and counted).</summary>
    public int LiveBufferPerClient { get; init; } = 256;

    public TimeProvider Time { get; init; } = TimeProvider.System;

    internal string ApiDir => Path.Combine(DataDir, "api");
    internal string TokenPath => TokenFile ?? Path.Combine(ApiDir, "tokens.json");
    internal string TriagePath => TriageFile ?? Path.Combine(ApiDir, "triage.db");
    internal string RulesPath => RulesDir ?? Path.Combine(DataDir, "rules");
}
