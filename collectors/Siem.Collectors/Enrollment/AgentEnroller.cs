using Siem.Core.Security;
using Siem.Nats;

namespace Siem.Collectors.Enrollment;

/// <summary>
/// Agent side of enrollment: creates (or reuses) the identity key in the state dir, asks the engine on
/// <c>siem.enroll</c>, and stores the engine's public key, key id and the subject to publish on.
/// </summary>
public static class AgentEnroller
{
    public static async Task<EnrollmentState> EnrollAsync(NatsConnection connection, string token, string agentId, string tenant, string stateDir, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(connection);
        AgentIdValidator.Validate(agentId);
        AgentIdValidator.Validate(tenant, "tenant");
        Directory.CreateDirectory(stateDir);
        var identityPath = Path.Combine(stateDir, EnrollmentState.IdentityFile);
        AgentIdentity identity;
        if (File.Exists(identityPath))
        {
            identity = AgentIdentity.Load(identityPath);
            if (identity.AgentId != agentId)
                throw new EnrollmentException($"{identityPath} belongs to agent '{identity.AgentId}', not '{agentId}'; use another --state dir or the same --agent-id");
        }
        else
        {
            identity = AgentIdentity.Create(agentId);
            identity.Save(identityPath);
        }

        var request = new EnrollmentMessages.Request(token, agentId, Environment.MachineName, Convert.ToBase64String(identity.SigningPublicKey), tenant);
        NatsMsg reply;
        try
        {
            reply = await connection.RequestAsync(EnrollmentMessages.Subject, EnrollmentMessages.Encode(request), timeout: timeout ?? TimeSpan.FromSeconds(10), cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (NatsNoRespondersException e)
        {
            throw new EnrollmentException($"no engine answers on '{EnrollmentMessages.Subject}' at {connection.Opts.Servers[0]}: is the engine running with enrollment enabled?", e);
        }
        catch (NatsTimeoutException e)
        {
            throw new EnrollmentException($"the engine did not answer the enrollment request in time: {e.Message}", e);
        }
        var response = EnrollmentMessages.Decode<EnrollmentMessages.Response>(reply.Data.Span)
            ?? throw new EnrollmentException("the engine's enrollment reply is not valid JSON");
        if (!response.Ok) throw new EnrollmentException($"enrollment refused by the engine: {response.Error}");
        if (response.EngineKeyId is null || response.EnginePublicKey is null || response.Subject is null)
            throw new EnrollmentException("the engine's enrollment reply lacks engine_key_id, engine_public_key or subject");
        var state = new EnrollmentState(agentId, tenant, response.EngineKeyId, response.EnginePublicKey, response.Subject);
        state.Save(stateDir);
        return state;
    }
}
