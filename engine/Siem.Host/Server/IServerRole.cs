namespace Siem.Host.Server;

/// <summary>
/// One part of <c>siem serve</c> (engine, ledger, api, ...). Roles are registered by name in <see cref="ServerRoles"/>;
/// the server calls <see cref="Configure"/> on every selected role first (in registration order, so a role can offer
/// something to the others through <see cref="ServerContext.Services"/>), then runs them all concurrently.
/// <see cref="RunAsync"/> returns when the token is cancelled (SIGTERM/SIGINT) after finishing its work in flight;
/// an exception from one role stops the others and the process exits non-zero.
/// </summary>
internal interface IServerRole
{
    string Name { get; }

    /// <summary>Before any role runs: validate the role's config section, register shared services. Throw <see cref="Config.ServerConfigException"/> for bad config.</summary>
    void Configure(ServerContext context) { }

    Task RunAsync(ServerContext context, CancellationToken cancellationToken);
}
