using Siem.Core.Security;

namespace Siem.Core.Tests.Security;

/// <summary>An engine key wrapped under another engine key opens only with that key and only for what was wrapped.</summary>
public sealed class EngineKeyWrapTests
{
    [Fact]
    public void A_wrapped_key_opens_with_the_wrapping_key_into_the_same_key_pair()
    {
        var wrapping = EngineKeyPair.Create();
        var key = EngineKeyPair.Create();
        var createdAt = DateTimeOffset.FromUnixTimeMilliseconds(key.CreatedAt.ToUnixTimeMilliseconds());

        var opened = EngineKeyWrap.Unwrap(wrapping, EngineKeyWrap.Wrap(wrapping, key), key.KeyId, key.AgreementPublicKey, createdAt);

        Assert.NotNull(opened);
        Assert.Equal((key.KeyId, createdAt), (opened.KeyId, opened.CreatedAt));
        Assert.Equal(key.AgreementPublicKey, opened.AgreementPublicKey);
    }

    [Fact]
    public void Another_wrapping_key_a_changed_claim_or_a_flipped_bit_opens_nothing()
    {
        var wrapping = EngineKeyPair.Create();
        var key = EngineKeyPair.Create();
        var wrapped = EngineKeyWrap.Wrap(wrapping, key);
        var createdAt = DateTimeOffset.FromUnixTimeMilliseconds(key.CreatedAt.ToUnixTimeMilliseconds());
        var other = EngineKeyPair.Create();

        Assert.Null(EngineKeyWrap.Unwrap(EngineKeyPair.Create(), wrapped, key.KeyId, key.AgreementPublicKey, createdAt));
        Assert.Null(EngineKeyWrap.Unwrap(wrapping, wrapped, other.KeyId, key.AgreementPublicKey, createdAt));
        Assert.Null(EngineKeyWrap.Unwrap(wrapping, wrapped, key.KeyId, other.AgreementPublicKey, createdAt));
        Assert.Null(EngineKeyWrap.Unwrap(wrapping, wrapped, key.KeyId, key.AgreementPublicKey, createdAt.AddDays(1)));
        var random = new Random(5);
        for (int i = 0; i < 50; i++)
        {
            var bytes = Convert.FromBase64String(wrapped);
            bytes[random.Next(bytes.Length)] ^= (byte)(1 << random.Next(8));
            Assert.Null(EngineKeyWrap.Unwrap(wrapping, Convert.ToBase64String(bytes), key.KeyId, key.AgreementPublicKey, createdAt));
        }
        Assert.Null(EngineKeyWrap.Unwrap(wrapping, "not base64!", key.KeyId, key.AgreementPublicKey, createdAt));
    }
}
