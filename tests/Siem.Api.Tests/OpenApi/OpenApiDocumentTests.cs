using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Siem.Api.Tests.OpenApi;

public sealed class OpenApiDocumentTests
{
    [Fact]
    public async Task Every_endpoint_in_the_route_table_is_in_the_document_with_its_body_and_success_schemas_errors_and_security()
    {
        await using var host = await ApiTestHost.StartAsync(seed: false);
        var doc = await host.Anonymous().GetFromJsonAsync<JsonElement>(SiemApi.OpenApiPath);
        var paths = doc.GetProperty("paths");
        var endpoints = host.App.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.Metadata.GetMetadata<IHttpMethodMetadata>() is { HttpMethods.Count: > 0 } && e.RoutePattern.RawText != SiemApi.OpenApiPath)
            .ToList();

        Assert.True(endpoints.Count >= 35, $"only {endpoints.Count} endpoints found");
        var problems = new List<string>();
        foreach (var endpoint in endpoints)
        {
            string path = "/" + endpoint.RoutePattern.RawText!.Trim('/');
            foreach (var method in endpoint.Metadata.GetMetadata<IHttpMethodMetadata>()!.HttpMethods)
            {
                string where = $"{method} {path}";
                var item = paths.EnumerateObject().FirstOrDefault(p => p.Name.TrimEnd('/') == path.TrimEnd('/'));
                if (item.Value.ValueKind != JsonValueKind.Object || !item.Value.TryGetProperty(method.ToLowerInvariant(), out var op))
                {
                    problems.Add($"{where}: not in the document");
                    continue;
                }
                bool needsRole = endpoint.Metadata.GetMetadata<IAuthorizeData>() != null && endpoint.Metadata.GetMetadata<IAllowAnonymous>() == null;
                if (needsRole)
                {
                    if (!op.TryGetProperty("security", out var security) || !security.EnumerateArray().Any(s => s.TryGetProperty("bearer", out _)))
                        problems.Add($"{where}: no bearer security requirement");
                    foreach (var code in new[] { "401", "403", "429" })
                        if (ErrorSchema(op, code) != "#/components/schemas/ApiError") problems.Add($"{where}: {code} without the ApiError schema");
                }
                if (endpoint.Metadata.GetMetadata<IAcceptsMetadata>() != null)
                {
                    if (!op.TryGetProperty("requestBody", out var body) || !body.GetProperty("content").GetProperty("application/json").TryGetProperty("schema", out _))
                        problems.Add($"{where}: accepts a body but the document gives no schema for it");
                    if (ErrorSchema(op, "400") != "#/components/schemas/ApiError") problems.Add($"{where}: 400 without the ApiError schema");
                }
                // Rule updates answer 404 with the rule errors (RuleRejection); every other 404 is an ApiError.
                if (endpoint.RoutePattern.Parameters.Count > 0 && ErrorSchema(op, "404") is not ("#/components/schemas/ApiError" or "#/components/schemas/RuleRejection"))
                    problems.Add($"{where}: 404 without an error schema");
                var successes = op.GetProperty("responses").EnumerateObject().Where(r => r.Name.StartsWith('2')).ToList();
                if (successes.Count == 0) problems.Add($"{where}: no success response");
                foreach (var success in successes)
                {
                    var schemas = success.Value.TryGetProperty("content", out var content)
                        ? content.EnumerateObject().Select(c => c.Value.TryGetProperty("schema", out var s) ? s : default).ToList()
                        : [];
                    if (schemas.Count == 0 || schemas.Any(s => s.ValueKind != JsonValueKind.Object || !SchemaFinder.IsDescribed(doc, s)))
                        problems.Add($"{where}: {success.Name} without a schema");
                    else if (success.Name != "200" || path is not ("/healthz" or "/api/purges/{id}/certificate"))
                        foreach (var s in schemas.Where(s => !s.TryGetProperty("$ref", out _)))
                            problems.Add($"{where}: {success.Name} has an inline schema, not a named type");
                }
            }
        }

        Assert.Empty(problems);
        var error = doc.GetProperty("components").GetProperty("schemas").GetProperty("ApiError").GetProperty("properties");
        Assert.Equal(["detail", "error"], error.EnumerateObject().Select(p => p.Name).Order());
        Assert.Equal("http", doc.GetProperty("components").GetProperty("securitySchemes").GetProperty("bearer").GetProperty("type").GetString());
        var purge = paths.EnumerateObject().Single(p => p.Name.TrimEnd('/') == "/api/purges").Value.GetProperty("post").GetProperty("requestBody").GetProperty("content").GetProperty("application/json").GetProperty("schema");
        Assert.Contains("#/components/schemas/", purge.GetProperty("$ref").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_error_body_has_the_documented_shape()
    {
        await using var host = await ApiTestHost.StartAsync(seed: false);
        using var response = await host.As(Siem.Api.Auth.ApiRoles.Analyst).GetAsync("/api/alerts/no-such-alert");
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();

        Assert.Equal(["detail", "error"], body.EnumerateObject().Select(p => p.Name).Order());
        Assert.Equal("not_found", body.GetProperty("error").GetString());
    }

    private static string? ErrorSchema(JsonElement op, string code) =>
        op.TryGetProperty("responses", out var responses) && responses.TryGetProperty(code, out var r)
        && r.TryGetProperty("content", out var c) && c.TryGetProperty("application/json", out var json)
        && json.TryGetProperty("schema", out var s) && s.TryGetProperty("$ref", out var reference)
            ? reference.GetString()
            : null;
}
