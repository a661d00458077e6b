using System.Text.Json.Nodes;

namespace Siem.Engine.Tests.EsNode;

internal sealed partial class ElasticsearchNode
{
    private (int, string) Bulk(string ndjson, bool refresh)
    {
        var lines = ndjson.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var items = new JsonArray();
        bool errors = false;
        var touched = new HashSet<Index>();
        for (int n = 0; n < lines.Length; n++)
        {
            var action = Parse(lines[n]);
            var (verb, meta) = action.Single();
            string indexName = meta!["_index"]!.GetValue<string>(), id = meta["_id"]!.GetValue<string>();
            JsonObject? doc = verb is "delete" ? null : Parse(lines[++n]);
            var index = GetOrCreate(indexName);
            touched.Add(index);
            var item = new JsonObject { ["_index"] = indexName, ["_id"] = id };
            int status;
            try
            {
                status = verb switch
                {
                    "index" => Put(index, id, doc!, item),
                    "create" => index.Live.ContainsKey(id) ? throw new NodeError(409, "version_conflict_engine_exception", $"[{id}]: version conflict, document already exists") : Put(index, id, doc!, item),
                    "update" => Update(index, id, doc!, item),
                    "delete" => Delete(index, id, item),
                    _ => throw new NodeError(400, "illegal_argument_exception", $"Malformed action/metadata line [{n + 1}], expected one of [create, delete, index, update] but found [{verb}]"),
                };
            }
            catch (NodeError e)
            {
                status = e.Status;
                item["error"] = new JsonObject { ["type"] = e.Type, ["reason"] = e.Message, ["index"] = indexName };
                errors = true;
            }
            item["status"] = status;
            items.Add(new JsonObject { [verb] = item });
        }
        if (refresh) foreach (var i in touched) i.Refresh();
        return (200, new JsonObject { ["took"] = 1, ["errors"] = errors, ["items"] = items }.ToJsonString());
    }

    private static int Put(Index index, string id, JsonObject doc, JsonObject item)
    {
        index.Mapping.Check(doc);
        bool existed = index.Live.Remove(id, out var old);
        if (old != null) index.Unmerged.Add(old.ToJsonString());
        index.Live[id] = doc;
        item["result"] = existed ? "updated" : "created";
        return existed ? 200 : 201;
    }

    /// <summary>A partial update: objects merged key by key (recursively), other values and arrays replaced.</summary>
    private static int Update(Index index, string id, JsonObject body, JsonObject item)
    {
        if (!index.Live.TryGetValue(id, out var current))
            throw new NodeError(404, "document_missing_exception", $"[{id}]: document missing");
        var partial = body["doc"] as JsonObject ?? throw new NodeError(400, "action_request_validation_exception", "Validation Failed: 1: script or doc is missing;");
        var merged = (JsonObject)current.DeepClone();
        Merge(merged, partial);
        index.Mapping.Check(merged);
        index.Unmerged.Add(current.ToJsonString());
        index.Live[id] = merged;
        item["result"] = "updated";
        return 200;
    }

    private static void Merge(JsonObject into, JsonObject from)
    {
        foreach (var (key, value) in from)
        {
            if (value is JsonObject o && into[key] is JsonObject existing) Merge(existing, o);
            else into[key] = value?.DeepClone();
        }
    }

    private static int Delete(Index index, string id, JsonObject item)
    {
        if (!index.Live.Remove(id, out var old))
        {
            item["result"] = "not_found";
            return 404;
        }
        index.Unmerged.Add(old.ToJsonString());
        item["result"] = "deleted";
        return 200;
    }

    /// <summary>Deletes what a search of the last refreshed state finds (a point-in-time scroll, as Elasticsearch does).</summary>
    private (int, string) DeleteByQuery(List<Index> indices, JsonObject body, bool refresh)
    {
        var q = body["query"] as JsonObject ?? throw new NodeError(400, "action_request_validation_exception", "Validation Failed: 1: query is missing;");
        int total = 0, deleted = 0;
        foreach (var index in indices)
        {
            foreach (var (id, doc) in index.Searchable.Where(kv => Matches(index, kv.Key, kv.Value, q)).ToList())
            {
                total++;
                if (index.Live.Remove(id, out var old))
                {
                    index.Unmerged.Add(old.ToJsonString());
                    deleted++;
                }
            }
            if (refresh) index.Refresh();
        }
        return (200, new JsonObject
        {
            ["took"] = 1, ["timed_out"] = false, ["total"] = total, ["deleted"] = deleted, ["batches"] = total == 0 ? 0 : 1,
            ["version_conflicts"] = total - deleted, ["noops"] = 0, ["retries"] = new JsonObject { ["bulk"] = 0, ["search"] = 0 },
            ["throttled_millis"] = 0, ["requests_per_second"] = -1.0, ["throttled_until_millis"] = 0, ["failures"] = new JsonArray(),
        }.ToJsonString());
    }

    private (int, string) Count(List<Index> indices, JsonObject body)
    {
        var q = body["query"] as JsonObject ?? new JsonObject { ["match_all"] = new JsonObject() };
        long n = indices.Sum(i => i.Searchable.Count(kv => Matches(i, kv.Key, kv.Value, q)));
        return (200, $"{{\"count\":{n},\"_shards\":{{\"total\":{indices.Count},\"successful\":{indices.Count},\"skipped\":0,\"failed\":0}}}}");
    }

    private (int, string) Search(List<Index> indices, JsonObject body)
    {
        var q = body["query"] as JsonObject ?? new JsonObject { ["match_all"] = new JsonObject() };
        int size = body["size"]?.GetValue<int>() ?? 10, from = body["from"]?.GetValue<int>() ?? 0;
        if (from + size > 10_000) throw new NodeError(400, "illegal_argument_exception", "Result window is too large, from + size must be less than or equal to: [10000]");
        var sort = SortKeys(body["sort"]);
        var after = body["search_after"] as JsonArray;
        if (after != null && sort.Count == 0) throw new NodeError(400, "illegal_argument_exception", "Sort must contain at least one field when using search_after");
        var hits = new List<(Index Index, string Id, JsonObject Doc, List<string?> Sort)>();
        foreach (var index in indices)
        {
            foreach (var (id, doc) in index.Searchable)
                if (Matches(index, id, doc, q)) hits.Add((index, id, doc, sort.Select(s => SortValue(index, id, doc, s.Field)).ToList()));
        }
        var comparer = Comparer<List<string?>>.Create((a, b) => CompareSort(a, b, sort));
        hits.Sort((x, y) => comparer.Compare(x.Sort, y.Sort));
        if (after != null)
        {
            var afterValues = after.Select((v, k) => v is JsonValue n && n.TryGetValue<long>(out long ms) && indices.Count > 0 && indices[0].Mapping.TypeOf(sort[k].Field) == "date"
                ? (ms * 10_000).ToString("D20", System.Globalization.CultureInfo.InvariantCulture)
                : v?.ToString()).ToList();
            hits = [.. hits.Where(h => CompareSort(h.Sort, afterValues, sort) > 0)];
        }
        var page = new JsonArray();
        foreach (var h in hits.Skip(from).Take(size))
        {
            var hit = new JsonObject { ["_index"] = h.Index.Name, ["_id"] = h.Id, ["_score"] = sort.Count == 0 ? 1.0 : null };
            if (FilterSource(h.Doc, body["_source"]) is { } source) hit["_source"] = source;
            if (sort.Count > 0)
            {
                hit["sort"] = new JsonArray([.. h.Sort.Select((v, k) => h.Index.Mapping.TypeOf(sort[k].Field) == "date" && v != null
                    ? JsonValue.Create(long.Parse(v, System.Globalization.CultureInfo.InvariantCulture) / 10_000)
                    : (JsonNode?)v)]);
            }
            page.Add(hit);
        }
        var result = new JsonObject { ["took"] = 1, ["timed_out"] = false, ["_shards"] = new JsonObject { ["total"] = indices.Count, ["successful"] = indices.Count, ["skipped"] = 0, ["failed"] = 0 } };
        var hitsObject = new JsonObject();
        if (body["track_total_hits"]?.GetValue<bool>() != false) hitsObject["total"] = new JsonObject { ["value"] = hits.Count, ["relation"] = "eq" };
        hitsObject["max_score"] = null;
        hitsObject["hits"] = page;
        result["hits"] = hitsObject;
        return (200, result.ToJsonString());
    }

    private static List<(string Field, bool Descending)> SortKeys(JsonNode? sort)
    {
        var keys = new List<(string, bool)>();
        if (sort is not JsonArray array) return keys;
        foreach (var s in array)
        {
            if (s is JsonValue v)
            {
                keys.Add((v.GetValue<string>(), false));
                continue;
            }
            var (field, order) = s!.AsObject().Single();
            string dir = order is JsonObject o ? o["order"]?.GetValue<string>() ?? "asc" : order!.GetValue<string>();
            keys.Add((field, dir == "desc"));
        }
        return keys;
    }

    private static string? SortValue(Index index, string id, JsonObject doc, string field)
    {
        if (field == "_id") throw new NodeError(400, "illegal_argument_exception", "Fielddata access on the _id field is disallowed, you can re-enable it by updating the dynamic cluster setting: indices.id_field_data.enabled");
        var values = index.Mapping.Values(doc, field);
        if (values.Count == 0) return null;
        // Dates sort by time (Elasticsearch answers their sort value as epoch milliseconds); keywords by their bytes.
        return index.Mapping.TypeOf(field) == "date" ? values.Select(Mapping.SortableDate).Min(StringComparer.Ordinal) : values.Min(StringComparer.Ordinal);
    }

    private static int CompareSort(List<string?> a, List<string?> b, List<(string Field, bool Descending)> sort)
    {
        for (int i = 0; i < sort.Count; i++)
        {
            // Missing values sort last in either direction (Elasticsearch's default "missing": "_last").
            int c = (a[i], b[i]) switch
            {
                (null, null) => 0,
                (null, _) => 1,
                (_, null) => -1,
                var (x, y) => sort[i].Descending ? -string.CompareOrdinal(x, y) : string.CompareOrdinal(x, y),
            };
            if (c != 0) return c;
        }
        return 0;
    }

    /// <summary>The <c>_source</c> of a hit as asked: all (default/true), none (false), or only the listed fields.</summary>
    private static JsonObject? FilterSource(JsonObject doc, JsonNode? spec)
    {
        if (spec == null) return (JsonObject)doc.DeepClone();
        if (spec is JsonValue v && v.TryGetValue<bool>(out var b)) return b ? (JsonObject)doc.DeepClone() : null;
        var includes = spec is JsonArray a ? a.Select(x => x!.GetValue<string>()).ToArray() : [spec.GetValue<string>()];
        var result = new JsonObject();
        foreach (var (key, value) in doc)
        {
            if (includes.Any(p => Glob(p, key, false) || key.StartsWith(p + ".", StringComparison.Ordinal))) result[key] = value?.DeepClone();
        }
        return result;
    }
}
