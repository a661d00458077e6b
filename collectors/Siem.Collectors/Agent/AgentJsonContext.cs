using System.Text.Json.Serialization;
using Siem.Collectors.Enrollment;

namespace Siem.Collectors.Agent;

/// <summary>
/// Source-generated JSON for the agent's own files (status.json, enrollment.json): no reflection, so the agent also
/// works as a Native AOT executable (deploy/build-agent.sh, the default build). EnrollmentState names its properties explicitly.
/// </summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, WriteIndented = true, DefaultIgnoreCondition = JsonIgnoreCondition.Never)]
[JsonSerializable(typeof(AgentStatus))]
[JsonSerializable(typeof(EnrollmentState))]
internal sealed partial class AgentJsonContext : JsonSerializerContext;
