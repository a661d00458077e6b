using System.CommandLine;
using Siem.Core.Security;

namespace Siem.Host.Commands;

/// <summary>
/// <c>siem keys list|rotate|retire</c>: the engine's X25519 keys under <c>&lt;data&gt;/engine</c> (<see cref="EngineKeyRing"/>).
/// A rotation makes a new key current for enrollments; earlier keys keep opening batches (also spooled ones) until
/// retired. Engines read the keys at start: restart them after a rotation.
/// </summary>
internal static class KeysCommand
{
    public static Command Create()
    {
        var data = new Option<string>("--data") { Description = "Data directory of the server", DefaultValueFactory = _ => Path.Combine(".siem", "data") };
        var cmd = new Command("keys", "List, rotate or retire the engine's encryption keys.");

        var list = new Command("list", "The current key and the earlier keys still accepted.");
        list.Options.Add(data);
        list.SetAction((ParseResult pr, CancellationToken ct) => Task.FromResult(Run(pr.GetValue(data)!, Console.Out, Console.Error, "list", null)));

        var rotate = new Command("rotate", "Make a new key current (agents enrolling from now on get it); the old one keeps opening batches until retired.");
        rotate.Options.Add(data);
        rotate.SetAction((ParseResult pr, CancellationToken ct) => Task.FromResult(Run(pr.GetValue(data)!, Console.Out, Console.Error, "rotate", null)));

        var id = new Argument<string>("key-id") { Description = "An earlier key's id (see siem keys list)" };
        var retire = new Command("retire", "Delete an earlier key: batches still sealed to it are quarantined (unknown_key) from the next engine start.");
        retire.Options.Add(data);
        retire.Arguments.Add(id);
        retire.SetAction((ParseResult pr, CancellationToken ct) => Task.FromResult(Run(pr.GetValue(data)!, Console.Out, Console.Error, "retire", pr.GetValue(id))));

        cmd.Subcommands.Add(list);
        cmd.Subcommands.Add(rotate);
        cmd.Subcommands.Add(retire);
        return cmd;
    }

    internal static int Run(string dataDir, TextWriter stdout, TextWriter stderr, string action, string? keyId)
    {
        if (!File.Exists(EngineKeyRing.CurrentPath(dataDir)))
        {
            stderr.WriteLine($"siem keys {action}: no engine key at {Path.GetFullPath(EngineKeyRing.CurrentPath(dataDir))}; pass --data DIR of a server");
            return 1;
        }
        var ring = EngineKeyRing.Open(dataDir, out _);
        try
        {
            switch (action)
            {
                case "rotate":
                    var old = ring.Current.KeyId;
                    ring = ring.Rotate();
                    stderr.WriteLine($"engine key {ring.Current.KeyId} is current; {old} still opens batches until `siem keys retire {old}`. Restart the engines; agents get the new key when they enroll again.");
                    break;
                case "retire":
                    ring = ring.Retire(keyId!);
                    stderr.WriteLine($"engine key {keyId} retired; restart the engines");
                    break;
            }
        }
        catch (Exception ex) when (ex is InvalidOperationException or KeyNotFoundException)
        {
            stderr.WriteLine($"siem keys {action}: {ex.Message}");
            return 1;
        }
        stdout.WriteLine($"{ring.Current.KeyId}  current   created {ring.Current.CreatedAt:u}");
        foreach (var k in ring.Previous) stdout.WriteLine($"{k.KeyId}  accepted  created {k.CreatedAt:u}");
        return 0;
    }
}
