// Key-file mode checks (0600) are POSIX; the agent runs on Linux.
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]
