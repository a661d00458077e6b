// Fault tests start nats-servers, agent processes and engines; on 2 cores they must not run concurrently.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
