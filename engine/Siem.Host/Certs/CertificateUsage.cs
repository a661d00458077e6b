namespace Siem.Host.Certs;

/// <summary>Extended key usages of an issued certificate. nats-server uses its certificate both ways on cluster
/// routes, so its certificate is <see cref="Server"/> | <see cref="Client"/>.</summary>
[Flags]
internal enum CertificateUsage
{
    Server = 1,
    Client = 2,
}
