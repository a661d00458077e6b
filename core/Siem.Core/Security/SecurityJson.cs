using System.Text.Json.Serialization;

namespace Siem.Core.Security;

/// <summary>Source-generated JSON for enrollment and key messages and key files: no reflection, so the agent also works as a Native AOT executable.</summary>
[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(EnrollmentMessages.Request))]
[JsonSerializable(typeof(EnrollmentMessages.Response))]
[JsonSerializable(typeof(AgentKeyMessages.EngineKeyRequest))]
[JsonSerializable(typeof(AgentKeyMessages.EngineKeyResponse))]
[JsonSerializable(typeof(AgentKeyMessages.RotateRequest))]
[JsonSerializable(typeof(AgentKeyMessages.RotateResponse))]
[JsonSerializable(typeof(Dictionary<string, string>))]
internal sealed partial class SecurityJson : JsonSerializerContext;
