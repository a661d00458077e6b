using System.Net;
using System.Net.Sockets;
using Siem.Core.Events;

namespace Siem.Lineage.Subjects;

/// <summary>
/// The canonical text a pseudonym is computed over: <c>class=value</c>. Fields naming the same kind of identifier
/// share a class, so one person is one subject wherever the value appears: <c>user.name</c>, <c>user.target.name</c>
/// and <c>user.effective.name</c> are <c>user</c>; <c>source.ip</c>, <c>destination.ip</c>, <c>client.ip</c>,
/// <c>server.ip</c> and <c>host.ip</c> are <c>ip</c>; <c>user.email</c> is <c>email</c>; <c>host.name</c> is <c>host</c>;
/// any other field is its own class. Values are trimmed; user names, e-mails and host names are lower-cased;
/// IP addresses take their canonical text form (IPv4-mapped IPv6 becomes IPv4, IPv6 is compressed).
/// </summary>
internal static class SubjectCanonicalizer
{
    public static string ClassOf(string field) => field switch
    {
        EcsFields.UserName or EcsFields.UserTargetName or EcsFields.UserEffectiveName => "user",
        EcsFields.UserEmail => "email",
        EcsFields.SourceIp or EcsFields.DestinationIp or "client.ip" or "server.ip" or "host.ip" => "ip",
        EcsFields.HostName => "host",
        _ => field,
    };

    /// <summary>The canonical value, or null when nothing identifying is left (empty or whitespace).</summary>
    public static string? CanonicalValue(string cls, string value)
    {
        var v = value.AsSpan().Trim();
        if (v.IsEmpty || v.SequenceEqual("-")) return null;
        return cls switch
        {
            "user" or "email" or "host" => v.ToString().ToLowerInvariant(),
            "ip" => CanonicalIp(v),
            _ => v.ToString(),
        };
    }

    private static string CanonicalIp(ReadOnlySpan<char> v)
    {
        if (!IPAddress.TryParse(v, out var ip)) return v.ToString().ToLowerInvariant();
        if (ip.IsIPv4MappedToIPv6) ip = ip.MapToIPv4();
        if (ip.AddressFamily == AddressFamily.InterNetworkV6) ip.ScopeId = 0;
        return ip.ToString();
    }
}
