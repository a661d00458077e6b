using System.Diagnostics;
using Siem.Host.Infrastructure;

namespace Siem.Host.Demo;

/// <summary>Makes sure a nats-server binary exists for the private broker: installs it from Debian when running as root.</summary>
internal static class NatsServerInstaller
{
    public const string InstallCommand = "apt-get install -y nats-server";

    /// <summary>True when nats-server is available (possibly after installing it); false after printing what to do.</summary>
    public static async Task<bool> EnsureAsync(TextWriter log, CancellationToken cancellationToken)
    {
        if (Found()) return true;
        if (!string.Equals(Environment.UserName, "root", StringComparison.Ordinal))
        {
            await log.WriteLineAsync($"siem demo: nats-server is not installed. Install it with `sudo {InstallCommand}` (or pass --nats URL of a running server).").ConfigureAwait(false);
            return false;
        }
        await log.WriteLineAsync($"siem demo: nats-server is not installed; running `{InstallCommand}`...").ConfigureAwait(false);
        foreach (var args in new[] { "update -qq", "install -y -qq nats-server" })
        {
            var psi = new ProcessStartInfo("apt-get", args) { UseShellExecute = false };
            psi.Environment["DEBIAN_FRONTEND"] = "noninteractive";
            using var p = Process.Start(psi);
            if (p == null) break;
            await p.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
        }
        if (Found()) return true;
        await log.WriteLineAsync($"siem demo: installing nats-server failed; install it yourself (`{InstallCommand}`) or pass --nats URL.").ConfigureAwait(false);
        return false;
    }

    private static bool Found()
    {
        try
        {
            LocalNatsServer.FindBinary();
            return true;
        }
        catch (FileNotFoundException)
        {
            return false;
        }
    }
}
