using System.Text;
using Siem.Core.Envelope;

namespace Siem.Core.Tests.Envelope;

public sealed class EnvelopeFuzzTests
{
    [Fact]
    public void Random_mutations_of_body_and_headers_never_throw_and_never_open()
    {
        var kit = new EnvelopeTestKit();
        var plaintext = Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat("Nov 22 04:00:01 host sshd[42]: Failed password for root\n", 20)));
        var original = kit.Sealer.Seal(1000, plaintext);
        var random = new Random(20261122);
        var headerNames = original.Headers.Select(h => h.Key).ToArray();

        for (var round = 0; round < 3000; round++)
        {
            var body = (byte[])original.Body.Clone();
            var headers = original.Headers.ToDictionary(h => h.Key, h => h.Value);
            var mutated = false;
            switch (random.Next(6))
            {
                case 0: // flip 1..4 random bits
                    for (var i = random.Next(1, 5); i > 0; i--) body[random.Next(body.Length)] ^= (byte)(1 << random.Next(8));
                    mutated = true;
                    break;
                case 1: // truncate
                    body = body.AsSpan(0, random.Next(body.Length)).ToArray();
                    mutated = true;
                    break;
                case 2: // append garbage
                    var extra = new byte[random.Next(1, 64)];
                    random.NextBytes(extra);
                    body = [.. body, .. extra];
                    mutated = true;
                    break;
                case 3: // random header value
                    var name = headerNames[random.Next(headerNames.Length)];
                    var value = RandomText(random);
                    mutated = !string.Equals(headers[name], value, StringComparison.Ordinal);
                    headers[name] = value;
                    break;
                case 4: // drop a header (Nats-Msg-Id is optional for the opener, so drop one of the others)
                    headers.Remove(headerNames[random.Next(headerNames.Length - 1)]);
                    mutated = true;
                    break;
                default: // entirely random body
                    body = new byte[random.Next(0, 400)];
                    random.NextBytes(body);
                    mutated = true;
                    break;
            }
            if (!mutated) continue;

            var result = kit.Opener.Open(EnvelopeTestKit.HeaderLookup(headers), body);

            Assert.False(result.Ok, $"round {round}: a mutated envelope opened");
            Assert.NotEqual(EnvelopeFailure.None, result.Failure);
            Assert.Null(result.Plaintext);
            Assert.False(string.IsNullOrEmpty(result.Detail));
        }
    }

    private static string RandomText(Random random)
    {
        const string alphabet = "abcXYZ019-_:\n é\0";
        var chars = new char[random.Next(0, 12)];
        for (var i = 0; i < chars.Length; i++) chars[i] = alphabet[random.Next(alphabet.Length)];
        return new string(chars);
    }
}
