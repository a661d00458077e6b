using NodaTime;
using Siem.Core.Events;

namespace Siem.Engine.Tests;

internal static class TestEvents
{
    public static readonly Instant Base = Instant.FromUtc(2026, 11, 21, 23, 58, 0);

    /// <summary>sshd-like events spanning midnight UTC, so two day partitions are involved.</summary>
    public static List<LogEvent> SshBatch()
    {
        var list = new List<LogEvent>();
        string[] users = ["root", "admin", "alice", "bob"];
        for (int i = 0; i < 8; i++)
        {
            string user = users[i % users.Length];
            bool ok = i == 7;
            var e = new LogEvent
            {
                RecordId = $"rec{i:D3}",
                AgentId = "agent-1",
                Timestamp = Base + Duration.FromMinutes(i),
                Original = $"Nov 21 23:5{8 + i % 2} web1 sshd[100{i}]: {(ok ? "Accepted" : "Failed")} password for {user} from 10.0.0.{5 + i % 2} port 5{i}000 ssh2",
            };
            e.Set(EcsFields.Message, $"{(ok ? "Accepted" : "Failed")} password for {user} from 10.0.0.{5 + i % 2} port 5{i}000 ssh2");
            e.Set(EcsFields.UserName, user);
            e.Set(EcsFields.SourceIp, $"10.0.0.{5 + i % 2}");
            e.Set(EcsFields.HostName, "web1");
            e.Set(EcsFields.EventOutcome, ok ? "success" : "failure");
            e.Add(EcsFields.EventCategory, "authentication");
            e.Add(EcsFields.EventCategory, "session");
            list.Add(e);
        }
        return list;
    }
}
