using System.Text.Json;
using NodaTime;
using Siem.Collectors.Parsing;
using Siem.Core.Events;
using static Siem.Collectors.Tests.Parsing.ParserTestKit;

namespace Siem.Collectors.Tests.Parsing;

/// <summary>OTRF flat Windows JSON lines and SigmaHQ regression documents (nested Event/System/EventData).</summary>
public class WindowsEventJsonTests
{
    private static string Otrf(string prefix) => Directory.GetFiles(Path.Combine(TestData, "otrf"), prefix + "*").Single();

    private static string Regression => Path.Combine(TestData, "sigma", "regression");

    [Fact]
    public void Otrf_mshta_dataset_parses_every_line_and_maps_the_sysmon_process_create()
    {
        var lines = File.ReadAllLines(Otrf("cmd_mshta_vbscript_execute_psh_"));
        var events = ParseAll(lines);

        Assert.Equal(lines.Length, events.Count);
        Assert.DoesNotContain(events, e => Tags(e).Contains(EcsFields.ParseFailureTag));
        var mshta = events[274];
        Assert.Equal("1", mshta.Get("EventID"));
        Assert.Equal("1", mshta.Get(EcsFields.EventCode));
        Assert.Equal("C:\\Windows\\System32\\mshta.exe", mshta.Get("Image"));
        Assert.Equal("C:\\Windows\\System32\\mshta.exe", mshta.Get(EcsFields.ProcessExecutable));
        Assert.Equal("mshta.exe", mshta.Get(EcsFields.ProcessName));
        Assert.Equal("mshta  vbscript:Execute(\"CreateObject(\"\"Wscript.Shell\"\").Run \"\"powershell -noexit -command Get-Service sysmon\"\":close\")", mshta.Get(EcsFields.ProcessCommandLine));
        Assert.Equal(mshta.Get("CommandLine"), mshta.Get(EcsFields.ProcessCommandLine));
        Assert.Equal("C:\\Windows\\System32\\cmd.exe", mshta.Get(EcsFields.ProcessParentExecutable));
        Assert.Equal("wardog", mshta.Get(EcsFields.UserName));
        Assert.Equal("WORKSTATION5", mshta.Get("user.domain"));
        Assert.Equal("WORKSTATION5", mshta.Get(EcsFields.HostName));
        Assert.Equal("Microsoft-Windows-Sysmon/Operational", mshta.Get(EcsFields.WinlogChannel));
        Assert.Equal("Microsoft-Windows-Sysmon", mshta.Get(EcsFields.WinlogProviderName));
        Assert.Equal("Microsoft-Windows-Sysmon", mshta.Get("Provider_Name"));
        Assert.Equal("10980", mshta.Get(EcsFields.ProcessPid));
        Assert.Equal(Instant.FromUtc(2020, 10, 22, 2, 57, 59).PlusNanoseconds(857_000_000), mshta.Timestamp);
        Assert.Equal(lines[274], mshta.Original);
    }

    [Fact]
    public void Otrf_lsass_dump_via_comsvcs_keeps_the_exact_command_line()
    {
        var lines = File.ReadAllLines(Otrf("psh_lsass_memory_dump_comsvcs_"));
        var e = ParseAll(lines)[106];

        Assert.Equal("C:\\Windows\\System32\\rundll32.exe", e.Get(EcsFields.ProcessExecutable));
        Assert.Equal("\"C:\\Windows\\System32\\rundll32.exe\" C:\\windows\\System32\\comsvcs.dll MiniDump 756 C:\\Users\\wardog\\AppData\\Local\\Temp\\lsass-comsvcs.dmp full", e.Get(EcsFields.ProcessCommandLine));
        Assert.Equal("C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe", e.Get("ParentImage"));
    }

    [Fact]
    public void Regression_case_document_maps_system_and_event_data()
    {
        string path = Path.Combine(Regression, "rules/windows/file/file_event/file_event_win_creation_system_dll_files/13c02350-4177-4e45-ac17-cf7ca628ff5e.json");
        string text = File.ReadAllText(path);
        using var doc = JsonDocument.Parse(text);

        var e = WindowsEventJson.ToLogEvent(doc.RootElement, "rid-1", text, "agent-1");

        Assert.Equal("rid-1", e.RecordId);
        Assert.Equal(text, e.Original);
        Assert.Equal("11", e.Get("EventID"));
        Assert.Equal("11", e.Get(EcsFields.EventCode));
        Assert.Equal("Microsoft-Windows-Sysmon", e.Get("Provider_Name"));
        Assert.Equal("Microsoft-Windows-Sysmon/Operational", e.Get("Channel"));
        Assert.Equal("Microsoft-Windows-Sysmon/Operational", e.Get(EcsFields.WinlogChannel));
        Assert.Equal("ar-win-dc.attackrange.local", e.Get("Computer"));
        Assert.Equal("ar-win-dc.attackrange.local", e.Get(EcsFields.HostName));
        Assert.Equal("C:\\Windows\\system32\\cmd.exe", e.Get("Image"));
        Assert.Equal("C:\\tdh.dll", e.Get("TargetFilename"));
        Assert.Equal("10048", e.Get(EcsFields.ProcessPid));
        Assert.Equal("23503", e.Get(EcsFields.WinlogRecordId));
        Assert.Equal("S-1-5-18", e.Get("winlog.user.identifier"));
        Assert.Equal("Administrator", e.Get(EcsFields.UserName));
        Assert.Equal(Instant.FromUtc(2025, 10, 24, 23, 41, 0).PlusNanoseconds(601_559_000), e.Timestamp);
    }

    [Fact]
    public void Regression_file_with_several_documents_gives_one_event_each_with_stable_ids()
    {
        string path = Path.Combine(Regression, "rules/windows/file/file_event/file_event_win_hktl_netexec_file_indicators/efc21479-9e83-41da-8cf1-122e06ba8db3.json");
        string text = File.ReadAllText(path);

        var events = WindowsEventJson.ReadDocuments(text, "scan:" + path);
        var again = WindowsEventJson.ReadDocuments(text, "scan:" + path);

        Assert.Equal(7, events.Count);
        Assert.Equal(7, events.Select(e => e.RecordId).Distinct().Count());
        Assert.Equal(events.Select(e => e.RecordId), again.Select(e => e.RecordId));
        Assert.All(events, e => Assert.Equal("11", e.Get("EventID")));
        Assert.All(events, e => Assert.StartsWith("{", e.Original, StringComparison.Ordinal));
    }

    [Fact]
    public void Documents_text_with_a_leading_bom_reads()
    {
        var e = Assert.Single(WindowsEventJson.ReadDocuments("\uFEFF{\"EventID\":4624,\"Channel\":\"Security\"}", "x"));

        Assert.Equal("4624", e.Get(EcsFields.EventCode));
    }

    [Fact]
    public void Every_regression_document_parses_with_event_id_and_channel()
    {
        int documents = 0;
        foreach (string file in Directory.GetFiles(Regression, "*.json", SearchOption.AllDirectories))
        {
            foreach (var e in WindowsEventJson.ReadDocuments(File.ReadAllText(file), file))
            {
                documents++;
                Assert.False(string.IsNullOrEmpty(e.Get("EventID")), file);
                Assert.False(string.IsNullOrEmpty(e.Get("Channel")), file);
                Assert.False(string.IsNullOrEmpty(e.Get(EcsFields.HostName)), file);
            }
        }
        Assert.Equal(158, documents);
    }

    [Fact]
    public void User_data_payload_becomes_native_fields()
    {
        string dir = Path.Combine(Regression, "rules/windows/builtin/wmi/win_wmi_activity_nteventlogfile_cleareventlog");
        var e = Assert.Single(WindowsEventJson.ReadDocuments(File.ReadAllText(Directory.GetFiles(dir, "*.json").Single()), "x"));

        Assert.Equal("5858", e.Get("EventID"));
        Assert.Contains("cleareventlog", e.Get("Operation"), StringComparison.Ordinal);
        Assert.Equal("swachchhanda\\xodih", e.Get("User"));
        Assert.Equal("xodih", e.Get(EcsFields.UserName));
    }

    [Fact]
    public void Regression_document_as_one_json_line_goes_through_the_pipeline()
    {
        string path = Path.Combine(Regression, "rules/windows/file/file_event/file_event_win_creation_system_dll_files/13c02350-4177-4e45-ac17-cf7ca628ff5e.json");
        using var doc = JsonDocument.Parse(File.ReadAllText(path));
        string line = JsonSerializer.Serialize(doc.RootElement);

        var e = Single(line);

        Assert.Equal("C:\\tdh.dll", e.Get("TargetFilename"));
        Assert.Equal("11", e.Get(EcsFields.EventCode));
        Assert.Equal(line, e.Original);
    }

    [Fact]
    public void Event_data_as_named_data_items_and_event_id_as_object()
    {
        const string line = """{"Event":{"System":{"Provider":{"#attributes":{"Name":"Microsoft-Windows-Security-Auditing"}},"EventID":{"#text":"4688","#attributes":{"Qualifiers":""}},"Channel":"Security","Computer":"WS01"},"EventData":{"Data":[{"@Name":"NewProcessName","#text":"C:\\Windows\\System32\\whoami.exe"},{"#attributes":{"Name":"CommandLine"},"#text":"whoami /all"},{"@Name":"SubjectUserName","#text":"bob"}]}}}""";

        var e = Single(line);

        Assert.Equal("4688", e.Get("EventID"));
        Assert.Equal("C:\\Windows\\System32\\whoami.exe", e.Get("NewProcessName"));
        Assert.Equal("C:\\Windows\\System32\\whoami.exe", e.Get(EcsFields.ProcessExecutable));
        Assert.Equal("whoami /all", e.Get(EcsFields.ProcessCommandLine));
        Assert.Equal("bob", e.Get(EcsFields.UserName));
        Assert.Equal("Security", e.Get(EcsFields.WinlogChannel));
    }

    [Fact]
    public void Event_data_element_with_a_name_attribute_keeps_its_child_fields()
    {
        string dir = Path.Combine(Regression, "rules/windows/builtin/taskscheduler/win_taskscheduler_susp_schtasks_delete_or_disable");
        var e = Assert.Single(WindowsEventJson.ReadDocuments(File.ReadAllText(Directory.GetFiles(dir, "*.json").Single()), "x"));

        Assert.Equal("\\Microsoft\\Windows\\SystemRestore\\SR", e.Get("TaskName"));
        Assert.Equal("System", e.Get("UserName"));
        Assert.Null(e.Get("TaskDisabled"));
    }
}
