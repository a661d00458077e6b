using Siem.Api.Metrics;
using Siem.Host.Server.Config;
using Siem.Nats;
using Siem.Nats.JetStream;
using Siem.Telemetry;

namespace Siem.Host.Server;

/// <summary>
/// Runs the selected roles of <c>siem serve</c> over one NATS connection until cancelled (SIGTERM/SIGINT).
/// Connecting retries with backoff (a server process outlives broker restarts; bad credentials stop it at once).
/// Roles run concurrently; the first that fails cancels the rest and the exit code is 1; a clean stop is 0.
/// </summary>
internal static class ServerHost
{
    public static async Task<int> RunAsync(ServerConfig config, IReadOnlyList<IServerRole> roles, TextWriter log, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(config.DataDir);
        await using var nats = new NatsConnection(config.ToNatsOpts($"siem-serve-{config.Instance}"));
        if (!await ConnectAsync(nats, config, log, cancellationToken).ConfigureAwait(false)) return cancellationToken.IsCancellationRequested ? 0 : 1;
        var context = new ServerContext { Config = config, Nats = nats, JetStream = new NatsJSContext(nats), Log = log };
        foreach (var role in roles) role.Configure(context);
        context.Info("serve", $"instance '{config.Instance}', roles {string.Join(", ", roles.Select(r => r.Name))}, data dir {config.DataDir}, NATS {nats.ConnectedUrl}");
        // The consoles' status page shows every process: each one broadcasts what its meters read (siem.metrics.<pid>).
        await using var metrics = MetricsBroadcaster.Start(nats, SiemMeters.Server, config.Instance, [.. roles.Select(r => r.Name)]);

        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var running = roles.Select(role => (role, task: Task.Run(() => role.RunAsync(context, stop.Token), CancellationToken.None))).ToList();
        int exit = 0;
        var pending = running.Select(r => r.task).ToList();
        while (pending.Count > 0)
        {
            var done = await Task.WhenAny(pending).ConfigureAwait(false);
            pending.Remove(done);
            var role = running.First(r => r.task == done).role;
            if (done.IsFaulted)
            {
                exit = 1;
                context.Info("serve", $"role '{role.Name}' failed: {done.Exception!.GetBaseException().GetType().Name}: {done.Exception.GetBaseException().Message}; stopping the other roles");
                await stop.CancelAsync().ConfigureAwait(false);
            }
            else if (!stop.IsCancellationRequested)
            {
                // A role that ends by itself while not asked to stop is a bug or a lost dependency: don't run half a server.
                exit = 1;
                context.Info("serve", $"role '{role.Name}' stopped unexpectedly; stopping the other roles");
                await stop.CancelAsync().ConfigureAwait(false);
            }
        }
        context.Info("serve", exit == 0 ? "stopped cleanly" : "stopped after a failure");
        return exit;
    }

    private static async Task<bool> ConnectAsync(NatsConnection nats, ServerConfig config, TextWriter log, CancellationToken cancellationToken)
    {
        var delay = TimeSpan.FromMilliseconds(250);
        for (int attempt = 1; ; attempt++)
        {
            try
            {
                await nats.ConnectAsync(cancellationToken).ConfigureAwait(false);
                return true;
            }
            catch (NatsAuthorizationException e)
            {
                lock (log) log.WriteLine($"serve: NATS refused the credentials in {config.SourceFile} (nats.*): {e.Message}");
                return false;
            }
            catch (NatsException e)
            {
                lock (log) log.WriteLine($"serve: NATS not reachable (attempt {attempt}, retrying in {delay.TotalSeconds:0.##} s): {e.Message}");
            }
            catch (OperationCanceledException)
            {
                return false;
            }
            try
            {
                await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return false;
            }
            delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.FromSeconds(10).Ticks));
        }
    }
}
