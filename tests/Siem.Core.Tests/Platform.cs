// Key-file mode checks (0600) are POSIX; the agent and engine run on Linux.
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]
