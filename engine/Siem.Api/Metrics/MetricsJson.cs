using System.Text.Json;
using System.Text.Json.Serialization;

namespace Siem.Api.Metrics;

/// <summary>The wire form of <see cref="ProcessMetrics"/> on <c>siem.metrics.*</c>: snake_case, nulls left out.</summary>
internal static class MetricsJson
{
    public static JsonSerializerOptions Options { get; } = new(JsonSerializerDefaults.Web)
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };
}
