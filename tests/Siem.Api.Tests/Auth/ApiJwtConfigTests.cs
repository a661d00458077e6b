using Siem.Host.Server;
using Siem.Host.Server.Config;
using Siem.Host.Server.Roles;
using Siem.Nats;
using Siem.Nats.JetStream;

namespace Siem.Api.Tests.Auth;

/// <summary>The <c>api.jwt</c> section of siem serve's config: OIDC discovery or a JWKS file, refused with the place when wrong.</summary>
public sealed class ApiJwtConfigTests
{
    private static void Configure(string jwtSection)
    {
        var config = ServerConfigLoader.Parse("server:\n  data_dir: d\napi:\n  jwt:\n" + jwtSection, "siem.yml", Path.GetTempPath(), _ => null);
        var nats = new NatsConnection(NatsOpts.Default);
        new ApiRole().Configure(new ServerContext { Config = config, Nats = nats, JetStream = new NatsJSContext(nats), Log = TextWriter.Null });
    }

    [Theory]
    [InlineData("    authority: https://idp.example.org/realms/soc\n    audience: siem-api\n")]
    [InlineData("    authority: http://127.0.0.1:8443/realms/soc\n    audience: siem-api\n    issuer: http://127.0.0.1:8443/realms/soc\n")]
    [InlineData("    issuer: https://idp.example.org/realms/soc\n    audience: siem-api\n    jwks_file: /etc/siem/jwks.json\n")]
    public void An_authority_or_a_jwks_file_with_an_issuer_is_accepted(string section) => Configure(section);

    [Theory]
    [InlineData("    authority: http://idp.example.org/realms/soc\n    audience: siem-api\n",
        "siem.yml:5:16: api.jwt.authority: expected the OIDC provider's https URL, e.g. https://idp.example.org/realms/soc (plain http only on a loopback address), got 'http://idp.example.org/realms/soc'")]
    [InlineData("    authority: idp.example.org\n    audience: siem-api\n",
        "siem.yml:5:16: api.jwt.authority: expected the OIDC provider's https URL")]
    [InlineData("    authority: https://idp.example.org/realms/soc\n    audience: siem-api\n    jwks_file: /etc/siem/jwks.json\n",
        "siem.yml:7:16: api.jwt.jwks_file: expected either authority (OIDC discovery) or jwks_file, not both, got both")]
    [InlineData("    audience: siem-api\n    jwks_file: /etc/siem/jwks.json\n", "api.jwt.issuer: required key is missing")]
    [InlineData("    issuer: https://idp.example.org/realms/soc\n    audience: siem-api\n", "api.jwt.jwks_file: required key is missing")]
    public void A_bad_jwt_section_is_refused_naming_the_key(string section, string expected)
    {
        var e = Assert.Throws<ServerConfigException>(() => Configure(section));

        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
    }
}
