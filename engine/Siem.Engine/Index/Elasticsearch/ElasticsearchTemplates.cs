namespace Siem.Engine.Index.Elasticsearch;

/// <summary>
/// Composable index templates (<c>PUT _index_template/NAME</c>, Elasticsearch 7.8+ and OpenSearch 1+) with explicit
/// mappings for the event model. Addresses are <c>ip</c> with <c>ignore_malformed</c>, so a bad address keeps the
/// document (the value stays in <c>_source</c>) instead of dead-lettering it. Other strings become keywords through a
/// dynamic template; the message and the original line are also full text, copied into <c>siem.text</c> for free-text search.
/// </summary>
internal static class ElasticsearchTemplates
{
    /// <summary>Fields mapped as <c>ip</c>; the query translator must not send case-insensitive or wildcard queries to them.</summary>
    public static readonly HashSet<string> IpFields = new(StringComparer.Ordinal)
    {
        "source.ip", "destination.ip", "client.ip", "server.ip", "host.ip", "related.ip",
    };

    private const string DynamicStrings = """
        "dynamic_templates": [
          { "strings_as_keywords": { "match_mapping_type": "string", "mapping": { "type": "keyword", "ignore_above": 1024 } } }
        ]
        """;

    private const string Ip = """{ "type": "ip", "ignore_malformed": true }""";
    private const string Kw = """{ "type": "keyword", "ignore_above": 1024 }""";

    public static string Events(string prefix) => $$"""
        {
          "index_patterns": ["{{prefix}}-*"],
          "priority": 200,
          "template": {
            "settings": { "index": { "refresh_interval": "1s" } },
            "mappings": {
              {{DynamicStrings}},
              "properties": {
                "@timestamp": { "type": "date" },
                "message": { "type": "text", "copy_to": "siem.text", "fields": { "keyword": {{Kw}} } },
                "siem": { "properties": {
                  "id": { "type": "keyword" }, "agent_id": { "type": "keyword" }, "kind": { "type": "keyword" },
                  "text": { "type": "text" }, "bidx": { "type": "object" },
                  "sealed_text": { "type": "keyword", "index": false, "doc_values": false } } },
                "event": { "properties": {
                  "original": { "type": "text", "copy_to": "siem.text", "index_options": "positions" },
                  "kind": {{Kw}}, "category": {{Kw}}, "type": {{Kw}}, "action": {{Kw}}, "outcome": {{Kw}}, "dataset": {{Kw}}, "module": {{Kw}} } },
                "host": { "properties": { "name": {{Kw}}, "hostname": {{Kw}}, "ip": {{Ip}} } },
                "user": { "properties": { "name": {{Kw}}, "id": {{Kw}}, "domain": {{Kw}},
                  "target": { "properties": { "name": {{Kw}} } } } },
                "group": { "properties": { "name": {{Kw}} } },
                "source": { "properties": { "ip": {{Ip}}, "port": {{Kw}}, "domain": {{Kw}} } },
                "destination": { "properties": { "ip": {{Ip}}, "port": {{Kw}}, "domain": {{Kw}} } },
                "client": { "properties": { "ip": {{Ip}} } },
                "server": { "properties": { "ip": {{Ip}} } },
                "related": { "properties": { "ip": {{Ip}}, "user": {{Kw}} } },
                "process": { "properties": { "name": {{Kw}}, "pid": {{Kw}}, "executable": {{Kw}},
                  "command_line": { "type": "keyword", "ignore_above": 8191, "fields": { "text": { "type": "text" } } } } },
                "log": { "properties": { "file": { "properties": { "path": {{Kw}} } } } },
                "agent": { "properties": { "id": {{Kw}}, "name": {{Kw}} } },
                "tags": {{Kw}}
              }
            }
          }
        }
        """;

    public static string Alerts(string index) => $$"""
        {
          "index_patterns": ["{{index}}", "{{index}}-*"],
          "priority": 200,
          "template": {
            "mappings": {
              {{DynamicStrings}},
              "properties": {
                "@timestamp": { "type": "date" },
                "siem": { "properties": { "id": { "type": "keyword" }, "kind": { "type": "keyword" }, "text": { "type": "text" },
                  "record_ids": { "type": "keyword" }, "alert_schema": { "type": "keyword" },
                  "values": { "type": "keyword", "ignore_above": 8191, "fields": { "text": { "type": "text" } } },
                  "alert": { "type": "object", "enabled": false } } },
                "rule": { "properties": { "id": {{Kw}}, "level": {{Kw}},
                  "name": { "type": "text", "copy_to": "siem.text", "fields": { "keyword": {{Kw}} } } } },
                "alert": { "properties": { "id": {{Kw}}, "kind": {{Kw}} } },
                "first_seen": { "type": "date" },
                "count": { "type": "long" },
                "backfill": { "type": "boolean" },
                "tags": {{Kw}},
                "source": { "properties": { "ip": {{Ip}} } },
                "destination": { "properties": { "ip": {{Ip}} } }
              }
            }
          }
        }
        """;
}
