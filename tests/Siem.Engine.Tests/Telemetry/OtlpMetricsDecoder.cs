using System.Text;

namespace Siem.Engine.Tests.Telemetry;

/// <summary>
/// Decodes the parts of an OTLP <c>ExportMetricsServiceRequest</c> (opentelemetry-proto metrics/v1) the tests assert on:
/// resource attributes, and per metric its name and the integer data points of sums and gauges with their attributes.
/// A minimal protobuf wire-format reader, enough to check what the exporter really sent.
/// </summary>
internal static class OtlpMetricsDecoder
{
    public sealed record Point(IReadOnlyDictionary<string, string> Attributes, long Value);

    public sealed record Decoded(IReadOnlyDictionary<string, string> Resource, IReadOnlyDictionary<string, List<Point>> Metrics);

    public static Decoded Decode(byte[] request)
    {
        var resource = new Dictionary<string, string>(StringComparer.Ordinal);
        var metrics = new Dictionary<string, List<Point>>(StringComparer.Ordinal);
        foreach (var rm in Fields(request).Where(f => f.No == 1))                       // resource_metrics
        {
            foreach (var f in Fields(rm.Bytes))
            {
                if (f.No == 1) foreach (var kv in Fields(f.Bytes).Where(x => x.No == 1)) Add(resource, kv.Bytes); // resource.attributes
                if (f.No != 2) continue;                                                    // scope_metrics
                foreach (var metric in Fields(f.Bytes).Where(x => x.No == 2))               // metrics
                {
                    var fields = Fields(metric.Bytes).ToList();
                    var name = Encoding.UTF8.GetString(fields.Single(x => x.No == 1).Bytes);
                    var points = metrics.TryGetValue(name, out var p) ? p : metrics[name] = [];
                    foreach (var data in fields.Where(x => x.No is 5 or 7))                  // gauge, sum
                        foreach (var dp in Fields(data.Bytes).Where(x => x.No == 1))        // data_points
                            points.Add(ToPoint(dp.Bytes));
                }
            }
        }
        return new Decoded(resource, metrics);
    }

    private static Point ToPoint(byte[] dataPoint)
    {
        var attributes = new Dictionary<string, string>(StringComparer.Ordinal);
        long value = 0;
        foreach (var f in Fields(dataPoint))
        {
            if (f.No == 7) Add(attributes, f.Bytes);                        // attributes
            else if (f.No == 6) value = (long)f.Number;                     // as_int (sfixed64)
            else if (f.No == 4) value = (long)BitConverter.UInt64BitsToDouble(f.Number); // as_double
        }
        return new Point(attributes, value);
    }

    private static void Add(Dictionary<string, string> into, byte[] keyValue)
    {
        var fields = Fields(keyValue).ToList();
        var key = Encoding.UTF8.GetString(fields.Single(x => x.No == 1).Bytes);
        var any = Fields(fields.Single(x => x.No == 2).Bytes).Single();    // AnyValue: one of string(1)/bool(2)/int(3)/double(4)
        into[key] = any.No == 1 ? Encoding.UTF8.GetString(any.Bytes) : any.Number.ToString(System.Globalization.CultureInfo.InvariantCulture);
    }

    private readonly record struct Field(int No, ulong Number, byte[] Bytes);

    private static IEnumerable<Field> Fields(byte[] message)
    {
        int pos = 0;
        while (pos < message.Length)
        {
            ulong tag = Varint(message, ref pos);
            int no = (int)(tag >> 3);
            switch ((int)(tag & 7))
            {
                case 0: yield return new Field(no, Varint(message, ref pos), []); break;
                case 1: yield return new Field(no, BitConverter.ToUInt64(message, pos), []); pos += 8; break;
                case 2:
                    int len = (int)Varint(message, ref pos);
                    yield return new Field(no, 0, message[pos..(pos + len)]);
                    pos += len;
                    break;
                case 5: yield return new Field(no, BitConverter.ToUInt32(message, pos), []); pos += 4; break;
                default: throw new InvalidDataException($"protobuf wire type {tag & 7} at byte {pos}");
            }
        }
    }

    private static ulong Varint(byte[] data, ref int pos)
    {
        ulong result = 0;
        for (int shift = 0; ; shift += 7)
        {
            byte b = data[pos++];
            result |= (ulong)(b & 0x7F) << shift;
            if ((b & 0x80) == 0) return result;
        }
    }
}
