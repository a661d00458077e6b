using System.CommandLine;
using Siem.Api.Auth;

namespace Siem.Host.Commands;

/// <summary>
/// <c>siem api-token create|list|revoke</c>: API tokens of the console/API in <c>&lt;data&gt;/api/tokens.json</c> (hashes only,
/// 0600). <c>create</c> prints the secret once, on stdout, and nowhere else.
/// </summary>
internal static class ApiTokenCommand
{
    public static Command Create()
    {
        var data = new Option<string>("--data") { Description = "Data directory of the server", DefaultValueFactory = _ => Path.Combine(".siem", "data") };
        var cmd = new Command("api-token", "Create, list or revoke API tokens for the HTTP API and web console.");
        cmd.Options.Add(data);

        var name = new Option<string>("--name") { Description = "Who or what uses the token", Required = true };
        var role = new Option<string>("--role") { Description = "analyst, compliance or admin", Required = true };
        var hours = new Option<double?>("--expires-hours") { Description = "Lifetime in hours (default: no expiry)" };
        var create = new Command("create", "Create a token and print its secret once.");
        foreach (var o in new Option[] { data, name, role, hours }) create.Options.Add(o);
        create.SetAction((ParseResult pr, CancellationToken ct) =>
        {
            var store = Store(pr.GetValue(data)!);
            try
            {
                var (token, secret) = store.Create(pr.GetValue(name)!, pr.GetValue(role)!, pr.GetValue(hours) is { } h ? TimeSpan.FromHours(h) : null, "siem api-token");
                Console.Error.WriteLine($"token {token.Id} ({token.Role}) for '{token.Name}'{(token.ExpiresAt is { } e ? $", expires {e:u}" : "")}; the secret is shown once:");
                Console.WriteLine(secret);
                return Task.FromResult(0);
            }
            catch (ArgumentException ex)
            {
                Console.Error.WriteLine($"siem api-token create: {ex.Message}");
                return Task.FromResult(2);
            }
        });

        var list = new Command("list", "List tokens (never their secrets).");
        list.Options.Add(data);
        list.SetAction((ParseResult pr, CancellationToken ct) =>
        {
            foreach (var t in Store(pr.GetValue(data)!).All)
                Console.WriteLine($"{t.Id}  {t.Role,-10}  {t.Name}  created {t.CreatedAt:u}{(t.ExpiresAt is { } e ? $"  expires {e:u}" : "")}{(t.RevokedAt is { } r ? $"  REVOKED {r:u}" : "")}");
            return Task.FromResult(0);
        });

        var id = new Argument<string>("id") { Description = "Token id (tok_...)" };
        var revoke = new Command("revoke", "Revoke a token: it is refused from the next request on.");
        revoke.Options.Add(data);
        revoke.Arguments.Add(id);
        revoke.SetAction((ParseResult pr, CancellationToken ct) =>
        {
            bool found = Store(pr.GetValue(data)!).Revoke(pr.GetValue(id)!);
            if (!found) Console.Error.WriteLine($"siem api-token revoke: no token '{pr.GetValue(id)}'");
            return Task.FromResult(found ? 0 : 1);
        });

        cmd.Subcommands.Add(create);
        cmd.Subcommands.Add(list);
        cmd.Subcommands.Add(revoke);
        return cmd;
    }

    private static ApiTokenStore Store(string dataDir) => new(Path.Combine(Path.GetFullPath(dataDir), "api", "tokens.json"));
}
