using System.Security.Claims;
using System.Text.Json;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Siem.Api.Audit;
using Siem.Api.Auth;
using Siem.Api.Endpoints;
using Siem.Api.Endpoints.Responses;
using Siem.Api.Rules;
using Siem.Api.Triage;
using Siem.Rules.Pipelines;

namespace Siem.Api;

/// <summary>
/// Builds the HTTP API and the web console as one ASP.NET Core app. The host decides where it listens
/// (<paramref name="configure"/>: <c>b.WebHost.UseUrls(...)</c>, HTTPS, or <c>UseTestServer()</c> in tests).
/// </summary>
public static class SiemApi
{
    public const string OpenApiPath = "/api/openapi.json";

    public static WebApplication Build(ApiOptions options, ApiBackends backends, Action<WebApplicationBuilder>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(backends);
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            ApplicationName = typeof(SiemApi).Assembly.GetName().Name,
            ContentRootPath = AppContext.BaseDirectory,
            Args = [],
        });
        builder.Logging.ClearProviders();
        builder.Logging.AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        AddServices(builder.Services, options, backends);
        configure?.Invoke(builder);

        var app = builder.Build();
        // Made now, not at the first JWT: OIDC discovery starts at once and a bad JWT configuration stops the start.
        app.Services.GetService<IJwtValidator>();
        app.UseExceptionHandler(new ExceptionHandlerOptions { ExceptionHandler = WriteServerErrorAsync });
        app.Use(SecurityHeaders);
        app.Use(LimitBodySize(options.MaxRequestBodyBytes));
        app.Use(AuditRefusals);
        ConsoleFiles.Use(app);
        app.UseAuthentication();
        app.UseRateLimiter();
        app.UseAuthorization();
        MapEndpoints(app);
        return app;
    }

    private static void AddServices(IServiceCollection services, ApiOptions options, ApiBackends backends)
    {
        Directory.CreateDirectory(options.ApiDir);
        services.AddSingleton(options);
        services.AddSingleton(backends);
        services.AddSingleton(new ApiTokenStore(options.TokenPath, options.Time));
        if (options.Jwt is { } jwt)
            services.AddSingleton<IJwtValidator>(sp => new JsonWebTokenValidator(jwt, options.Time, sp.GetRequiredService<ILoggerFactory>().CreateLogger("Siem.Api.Oidc")));
        services.AddSingleton(_ => new TriageStore(options.TriagePath));
        services.AddSingleton(backends.Rules ?? new RuleStore(options.RulesPath, options.RulePacks));
        services.AddSingleton(options.PipelinePath is { } pipeline ? FieldMappingPipeline.Load(pipeline) : FieldMappingPipeline.Empty);
        var audit = backends.Audit ?? new LedgerAuditLog(new Siem.Lineage.Audit.AuditLog(options.DataDir));
        services.AddSingleton(audit);
        services.AddSingleton(_ => new DeniedCallAudit(audit, options.Time));
        services.ConfigureHttpJsonOptions(o => o.SerializerOptions.PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower);
        services.AddOpenApi(OpenApiConventions.Configure);

        services.AddAuthentication(BearerAuthenticationHandler.SchemeName)
            .AddScheme<AuthenticationSchemeOptions, BearerAuthenticationHandler>(BearerAuthenticationHandler.SchemeName, null);
        services.AddAuthorizationBuilder()
            .AddPolicy(ApiPolicies.Analyst, p => p.RequireRole(ApiRoles.Analyst, ApiRoles.Admin))
            .AddPolicy(ApiPolicies.Compliance, p => p.RequireRole(ApiRoles.Compliance, ApiRoles.Admin))
            .AddPolicy(ApiPolicies.Admin, p => p.RequireRole(ApiRoles.Admin))
            .AddPolicy(ApiPolicies.AnyRole, p => p.RequireRole(ApiRoles.Analyst, ApiRoles.Compliance, ApiRoles.Admin));
        services.AddRateLimiter(o =>
        {
            o.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            // Per caller: the token (or JWT user) when signed in, else the client address.
            o.GlobalLimiter = PartitionedRateLimiter.Create<HttpContext, string>(ctx => RateLimitPartition.GetFixedWindowLimiter(
                ctx.User.FindFirstValue(BearerAuthenticationHandler.ActorClaim) ?? "ip:" + ctx.Connection.RemoteIpAddress,
                _ => new FixedWindowRateLimiterOptions { PermitLimit = options.RequestsPerMinute, Window = TimeSpan.FromMinutes(1), QueueLimit = 0 }));
            o.OnRejected = async (ctx, ct) =>
            {
                ctx.HttpContext.Response.Headers.RetryAfter = "60";
                await ctx.HttpContext.Response.WriteAsJsonAsync(new ApiError("rate_limited", $"more than {options.RequestsPerMinute} requests a minute; retry in a minute"), ct);
            };
        });
    }

    private static void MapEndpoints(WebApplication app)
    {
        app.MapOpenApi(OpenApiPath).AllowAnonymous();
        var api = app.MapGroup("/api");
        OpenApiConventions.AddErrorResponses(api);
        SearchEndpoints.Map(api);
        AlertEndpoints.Map(api);
        RuleEndpoints.Map(api);
        LineageEndpoints.Map(api);
        PurgeEndpoints.Map(api);
        AgentEndpoints.Map(api);
        TokenEndpoints.Map(api);
        HealthEndpoints.Map(app, api);
        api.MapGet("/me", (HttpContext http) => Results.Ok(new CallerView(AlertEndpoints.Actor(http), http.User.FindAll(ClaimTypes.Role).Select(c => c.Value))))
            .RequireAuthorization(ApiPolicies.AnyRole).WithName("WhoAmI").Produces<CallerView>().WithSummary("The caller's name and roles (the console uses it to sign in).");
        // Anything else under /api is a JSON 404, not the console page.
        api.MapFallback(() => ApiErrors.NotFound("no such API endpoint; see " + OpenApiPath)).AllowAnonymous();
    }

    private static async Task WriteServerErrorAsync(HttpContext http)
    {
        http.Response.StatusCode = StatusCodes.Status500InternalServerError;
        await http.Response.WriteAsJsonAsync(new ApiError("internal_error", "the server failed; the host's log has the details"));
    }

    /// <summary>401/403 under /api are audited after the response (bounded: see <see cref="DeniedCallAudit"/>).</summary>
    private static async Task AuditRefusals(HttpContext http, Func<Task> next)
    {
        await next();
        if (http.Response.StatusCode is StatusCodes.Status401Unauthorized or StatusCodes.Status403Forbidden
            && http.Request.Path.StartsWithSegments("/api", StringComparison.Ordinal))
            await http.RequestServices.GetRequiredService<DeniedCallAudit>().RecordAsync(http, CancellationToken.None);
    }

    private static Task SecurityHeaders(HttpContext http, Func<Task> next)
    {
        var h = http.Response.Headers;
        h.XContentTypeOptions = "nosniff";
        h.XFrameOptions = "DENY";
        h["Referrer-Policy"] = "no-referrer";
        h.ContentSecurityPolicy = "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";
        return next();
    }

    /// <summary>413 for a body larger than the limit: by Content-Length up front, and by the server's own limit for chunked bodies.</summary>
    private static Func<HttpContext, Func<Task>, Task> LimitBodySize(long max) => async (http, next) =>
    {
        if (http.Request.ContentLength is { } length && length > max)
        {
            http.Response.StatusCode = StatusCodes.Status413PayloadTooLarge;
            await http.Response.WriteAsJsonAsync(new ApiError("payload_too_large", $"the request body has {length} bytes; the limit is {max}"));
            return;
        }
        if (http.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } feature)
            feature.MaxRequestBodySize = max;
        await next();
    };
}
