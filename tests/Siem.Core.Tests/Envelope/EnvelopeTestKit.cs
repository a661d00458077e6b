using Siem.Core.Envelope;
using Siem.Core.Security;

namespace Siem.Core.Tests.Envelope;

/// <summary>One enrolled agent and one engine key, wired the way the engine and agent wire them.</summary>
internal sealed class EnvelopeTestKit
{
    public AgentIdentity Agent { get; } = AgentIdentity.Create("web-01");
    public EngineKeyPair EngineKey { get; } = EngineKeyPair.Create();
    public AgentRegistry Registry { get; } = new();
    public EnvelopeSealer Sealer { get; }
    public EnvelopeOpener Opener { get; }

    public EnvelopeTestKit()
    {
        Registry.Register(Agent.AgentId, Agent.SigningPublicKey, "acme");
        Sealer = new EnvelopeSealer(Agent, EngineKey.AgreementPublicKey, EngineKey.KeyId);
        Opener = new EnvelopeOpener(new Dictionary<string, EngineKeyPair> { [EngineKey.KeyId] = EngineKey }, Registry);
    }

    public static Func<string, string?> HeaderLookup(IEnumerable<KeyValuePair<string, string>> headers)
    {
        var map = headers.ToDictionary(h => h.Key, h => h.Value, StringComparer.Ordinal);
        return name => map.TryGetValue(name, out var v) ? v : null;
    }

    public EnvelopeOpenResult Open(SealedEnvelope e) => Opener.Open(HeaderLookup(e.Headers), e.Body);
}
