using System.CommandLine;
using Siem.Host.Demo;
using Siem.Host.Deploy;

namespace Siem.Host.Commands;

/// <summary><c>siem config reference</c>: prints the generated configuration reference (deploy/CONFIG.md).</summary>
internal static class ConfigCommand
{
    public static Command Create()
    {
        var reference = new Command("reference", $"Print the configuration reference generated from the annotated samples and the options types ({ConfigReference.RegenerateHint}).");
        reference.SetAction((ParseResult _) =>
        {
            var root = DemoPaths.RepoRoot();
            if (root is null)
            {
                Console.Error.WriteLine("siem config reference: deploy/ and rules/packs were not found next to the siem host or the current directory; run it from the repository");
                return 1;
            }
            Console.Out.Write(ConfigReference.Generate(root));
            return 0;
        });
        var cmd = new Command("config", "Configuration tools.");
        cmd.Subcommands.Add(reference);
        return cmd;
    }
}
