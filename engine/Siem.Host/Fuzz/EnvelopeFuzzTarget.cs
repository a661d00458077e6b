using System.Text;
using System.Text.Json;
using NodaTime;
using Siem.Core.Envelope;
using Siem.Core.Events;
using Siem.Core.Security;

namespace Siem.Host.Fuzz;

/// <summary>
/// The engine's envelope decoder: <see cref="EnvelopeOpener.Open"/> over sealed batches with a mutated body or mutated,
/// dropped or added headers, and <see cref="LogEventJson.DecodeBatch"/> over mutated plaintext. Promises checked:
/// opening never throws; a changed body never opens; whatever opens carries exactly the sealed agent, sequence and
/// plaintext; decoding throws nothing but the documented <see cref="InvalidDataException"/>,
/// <see cref="FormatException"/>, <see cref="JsonException"/> or <see cref="ArgumentException"/> (what the pipeline
/// quarantines as "undecodable"; anything else would stop the engine).
/// </summary>
internal sealed class EnvelopeFuzzTarget : FuzzTarget
{
    private readonly EnvelopeSealer _sealer;
    private readonly EnvelopeOpener _opener;
    private readonly byte[] _plaintext;
    private readonly string _agentId = "fuzz-agent";

    public EnvelopeFuzzTarget()
    {
        var engineKey = EngineKeyPair.Create();
        var agent = AgentIdentity.Create(_agentId);
        var registry = new AgentRegistry();
        registry.Register(_agentId, agent.SigningPublicKey, "fuzz");
        _sealer = new EnvelopeSealer(agent, engineKey.AgreementPublicKey, engineKey.KeyId);
        _opener = new EnvelopeOpener(new Dictionary<string, EngineKeyPair> { [engineKey.KeyId] = engineKey }, registry);
        var events = Enumerable.Range(0, 3).Select(i =>
        {
            var e = new LogEvent { RecordId = $"r{i}", AgentId = _agentId, Timestamp = Instant.FromUtc(2026, 11, 22, 3, 0, i), Original = $"Nov 22 03:00:0{i} web1 sshd[42]: Failed password for root from 10.0.0.{i} port 22 ssh2" };
            e.Set(EcsFields.Message, e.Original);
            e.Set(EcsFields.SourceIp, $"10.0.0.{i}");
            e.Add(EcsFields.Tags, "a");
            e.Add(EcsFields.Tags, "b");
            return e;
        }).ToList();
        _plaintext = LogEventJson.EncodeBatch(events);
    }

    public override string Name => "envelope";
    public override string Description => "engine envelope opener (signature, decryption, headers) and the batch JSON decoder";

    public override void RunOne(FuzzMutator mutator)
    {
        ulong seq = (ulong)mutator.Random.Next(1, 1_000_000);
        var sealedEnvelope = _sealer.Seal(seq, _plaintext);
        switch (mutator.Random.Next(3))
        {
            case 0:
                FuzzBody(mutator, sealedEnvelope, seq);
                break;
            case 1:
                FuzzHeaders(mutator, sealedEnvelope, seq);
                break;
            default:
                FuzzPlaintext(mutator);
                break;
        }
    }

    private void FuzzBody(FuzzMutator mutator, SealedEnvelope env, ulong seq)
    {
        var body = mutator.Mutate(env.Body);
        CurrentInput = "body " + Convert.ToHexString(body);
        var headers = env.Headers.ToDictionary(h => h.Key, h => h.Value, StringComparer.Ordinal);
        var result = _opener.Open(h => headers.GetValueOrDefault(h), body);
        if (body.AsSpan().SequenceEqual(env.Body))
        {
            Count("body_unchanged");
            CheckOpened(result, seq);
            return;
        }
        if (result.Ok) throw new FuzzContractException($"an envelope with a changed body opened ({body.Length} bytes, sealed {env.Body.Length})");
        Count("body_rejected_" + result.Failure.ToString().ToLowerInvariant());
    }

    private void FuzzHeaders(FuzzMutator mutator, SealedEnvelope env, ulong seq)
    {
        var headers = env.Headers.ToDictionary(h => h.Key, h => h.Value, StringComparer.Ordinal);
        var names = headers.Keys.ToList();
        string name = Pick(mutator, names);
        switch (mutator.Random.Next(3))
        {
            case 0:
                headers.Remove(name);
                break;
            case 1:
                headers[name] = mutator.Mutate(headers[name], Pick(mutator, headers.Values.ToList()), 4096);
                break;
            default:
                headers[mutator.Mutate(name, "Siem-", 64)] = mutator.Mutate(headers[name], "", 4096);
                break;
        }
        CurrentInput = "headers " + string.Join("; ", headers.Select(h => $"{h.Key}={h.Value}"));
        var result = _opener.Open(h => headers.GetValueOrDefault(h), env.Body);
        if (result.Ok)
        {
            Count("headers_opened");
            CheckOpened(result, seq);
        }
        else
        {
            Count("headers_rejected_" + result.Failure.ToString().ToLowerInvariant());
        }
    }

    /// <summary>Whatever opens must be exactly what was sealed (a header change that opens may only be cosmetic, like Nats-Msg-Id).</summary>
    private void CheckOpened(EnvelopeOpenResult result, ulong seq)
    {
        if (!result.Ok) throw new FuzzContractException($"an untouched envelope did not open: {result.Failure} {result.Detail}");
        if (result.AgentId != _agentId || result.BatchSeq != seq || !_plaintext.AsSpan().SequenceEqual(result.Plaintext))
            throw new FuzzContractException($"an envelope opened with other content: agent {result.AgentId}, seq {result.BatchSeq} (sealed {seq})");
    }

    private void FuzzPlaintext(FuzzMutator mutator)
    {
        string seed = Encoding.UTF8.GetString(_plaintext);
        var text = mutator.Mutate(seed, seed, 200_000);
        var bytes = mutator.Random.Next(4) == 0 ? mutator.Mutate(Encoding.UTF8.GetBytes(text)) : Encoding.UTF8.GetBytes(text);
        CurrentInput = "plaintext " + Encoding.UTF8.GetString(bytes);
        try
        {
            var batch = LogEventJson.DecodeBatch(bytes);
            Count(batch.Count == 0 ? "plaintext_empty_batch" : "plaintext_decoded");
        }
        catch (Exception e) when (e is InvalidDataException or FormatException or JsonException or ArgumentException)
        {
            Count("plaintext_rejected");
        }
    }
}
