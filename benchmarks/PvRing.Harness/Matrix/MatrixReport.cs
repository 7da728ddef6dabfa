// Licensed under the MIT License. See LICENSE in the repository root.

using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace PvRing.Harness.Matrix;

/// <summary>
/// The matrix's outputs: the Markdown table (goals, baselines, ring workloads, packets, round trips, what is not
/// counted), one CSV row per cell and repetition, and the whole run as JSON.
/// </summary>
internal static class MatrixReport
{
    private const string CsvHeader =
        "placement,first_cpu,second_cpu,cell,group,label,item,workload,order,message,message_bytes,grant_mode,queues,wait,rep," +
        "messages_per_second,gigabytes_per_second,round_trip_us,p50_us,p99_us,p999_us,notifications_per_message,syscalls_per_message," +
        "cpu_seconds_per_message,idle_cpu,probe_before_ns,probe_after_ns,regime";

    /// <summary>What the run could not count, said in every report.</summary>
    public static readonly string[] NotCounted =
    [
        "Notifications and system calls per message are counted where an event channel is used (the round-trip cells: the front's " +
            "channel counters, futex wakes and waits). The ring and packet cells busy-poll both ends and never notify or block, so " +
            "they make no such calls by construction; other system calls (the clock, the page faults of a map) are not counted anywhere.",
        "CPU seconds per message: both processes, all threads, from /proc/PID/task/*/schedstat (ring cells: the whole run, warm-up " +
            "included; packet cells: the timed window; round-trip cells: the timed round trips); C baselines from getrusage(RUSAGE_CHILDREN).",
        "Latency percentiles come from an HdrHistogram only in the round-trip cells (one request outstanding, timed one by one). The " +
            "ring `pingpong` workload and the C round trips are means (time / round trips); streaming cells have no per-message latency.",
        "The application API cells count CPU time (both processes, from /proc/PID/task/*/schedstat, over the recorded round trips or " +
            "from the pipe's first read to its last; the multiqueue rows busy-poll every CPU and count none) but no notifications or system " +
            "calls (the connection's event channels are inside it).",
        "Queues: 1 in every cell but the multiqueue rows of the application API table (64 B packets one way on every queue, one pinned worker per queue and side, spread over every CPU of the machine whatever the harness's taskset; \"vs classic\" is one queue). On a machine with fewer than two CPUs per queue they cannot scale.",
    ];

    private static readonly JsonSerializerOptions s_json = new()
    {
        WriteIndented = true,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        Converters = { new JsonStringEnumConverter() },
    };

    public static string Markdown(MatrixRunInfo info, IReadOnlyList<MatrixResult> results)
    {
        var text = new StringBuilder();
        string preset = info.Settings.Smoke ? " (smoke test: the counts are too small for the figures to mean anything)" : info.Settings.Quick ? " (quick)" : string.Empty;
        text.AppendLine(CultureInfo.InvariantCulture, $"### Contention matrix{preset}: {info.StartedUtc:u}");
        text.AppendLine();
        text.AppendLine(CultureInfo.InvariantCulture, $"`{info.Command}`: wall time {info.WallSeconds:0} s, {info.Settings.Repeat} repetitions; machine: {info.Machine}.");
        text.AppendLine();
        text.AppendLine("Placements:");
        foreach (string line in info.Placements)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"- {line}");
        }

        text.AppendLine();
        text.AppendLine(CultureInfo.InvariantCulture, $"Hardware counters: {info.HardwareCounters}");
        text.AppendLine();
        text.AppendLine("Every figure is the median over the repetitions with its min..max; every ratio is taken per repetition against the " +
            "reference measured in the same repetition at the same placement, then the median (min..max) of those. Rates: PvRing / reference " +
            "(higher is better). Round trips (marked RT): PvRing / reference round trip (lower is better). \"limit\": GB/s over memcpy's for rates, " +
            "round trip over the cache-line ping-pong's for round trips. Regimes: the cache-line probe around each cell, near/far/mixed repetitions.");
        foreach (MatrixResult result in results)
        {
            AppendPlacement(text, result);
        }

        text.AppendLine();
        text.AppendLine("Not counted, and how the counted figures are taken:");
        text.AppendLine();
        foreach (string line in NotCounted)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"- {line}");
        }

        return text.ToString();
    }

    public static IEnumerable<string> Csv(IReadOnlyList<MatrixResult> results)
    {
        yield return CsvHeader;
        foreach (MatrixResult result in results)
        {
            foreach (MatrixCell c in result.Cells)
            {
                foreach (MatrixSample s in c.Samples)
                {
                    yield return string.Create(CultureInfo.InvariantCulture,
                        $"{result.Placement.Kind},{result.Placement.First},{result.Placement.Second},{c.Id},{c.Group},\"{c.Label}\",{c.Item},{c.Workload},{c.Order},{c.Message},{c.MessageBytes},{c.GrantMode},{c.Queues},{c.Wait},{s.Rep + 1}," +
                        $"{s.MessagesPerSecond:0.###},{s.GigabytesPerSecond:0.######},{s.RoundTripMicroseconds:0.####},{s.P50:0.####},{s.P99:0.####},{s.P999:0.####}," +
                        $"{s.NotificationsPerMessage:0.######},{s.SystemCallsPerMessage:0.######},{s.CpuSecondsPerMessage:0.###E+0},{s.IdleCpu:0.####},{s.ProbeBefore:0.0},{s.ProbeAfter:0.0},{s.Regime}");
                }
            }
        }
    }

    public static string Json(MatrixRunInfo info, IReadOnlyList<MatrixResult> results) => JsonSerializer.Serialize(new
    {
        info.Command,
        info.StartedUtc,
        info.WallSeconds,
        info.Machine,
        info.Placements,
        info.HardwareCounters,
        NotCounted,
        info.Settings,
        Runs = results.Select(r => new
        {
            Placement = r.Placement.Kind.ToString(),
            r.Placement.First,
            r.Placement.Second,
            Goals = MatrixGoal.Evaluate(r),
            Cells = r.Cells.Select(c => new
            {
                Cell = c,
                Figure = Spread.Values(c, c.Figure),
                GigabytesPerSecond = Spread.Values(c, s => s.GigabytesPerSecond),
                CpuSecondsPerMessage = Spread.Values(c, s => s.CpuSecondsPerMessage),
                Ratios = new
                {
                    Classic = r.Ratio(c, c.Classic),
                    CRing = r.Ratio(c, c.CRing),
                    ByteRing = r.Ratio(c, c.ByteRing),
                    Limit = r.LimitRatio(c),
                    Socket = r.Ratio(c, c.Socket),
                },
            }),
        }),
    }, s_json);

    private static void AppendPlacement(StringBuilder text, MatrixResult r)
    {
        MatrixCell[] cells = [.. r.Cells];
        text.AppendLine();
        text.AppendLine(CultureInfo.InvariantCulture, $"#### {r.Placement}");
        text.AppendLine();
        text.AppendLine("| goal | best PvRing cell | reference | ratio | target | verdict |");
        text.AppendLine("|---|---|---|---:|---:|---|");
        foreach (MatrixGoal g in MatrixGoal.Evaluate(r))
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"| {g.Goal} | {g.Cell} | {g.Reference} | {g.Ratio.RatioText()} | {(g.AtMost ? "<=" : ">=")} {g.Target:0.0} | {g.Verdict} |");
        }

        Table(text, "Baselines (same run, same placement):",
            "| baseline | message | figure | GB/s | CPU ns/msg | regimes |", "|---|---|---:|---:|---:|---|",
            cells.Where(c => c.Group == MatrixGroup.Baseline),
            c => $"| {c.Label} | {c.Message} | {Figure(c)} | {Spread.Values(c, s => s.GigabytesPerSecond).Text("0.000")} | {Nanoseconds(c)} | {Regimes(c)} |");
        Table(text, "Ring workloads (12 B netif TX descriptors through a bare ring, both ends busy-polling; A = ring order > 0):",
            "| workload | item | order | queues | wait | figure | vs classic | / C ring | / C byte ring 64 B | / limit | / socket | CPU ns/msg | regimes |",
            "|---|---|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---|",
            cells.Where(c => c.Group == MatrixGroup.Ring),
            c => $"| {c.Workload} | {c.Item} | {c.Order} | {c.Queues} | {c.Wait} | {Figure(c)} | {r.Ratio(c, c.Classic).RatioText()} | {r.Ratio(c, c.CRing).RatioText()} | " +
                $"{r.Ratio(c, c.ByteRing).RatioText()} | {r.LimitRatio(c).RatioText()} | {r.Ratio(c, c.Socket).RatioText()} | {Nanoseconds(c)} | {Regimes(c)} |");
        Table(text, "Packets through the transport (a connected netif queue, front in the peer, back here, busy-polling; all on = ring order 4, " +
            "split indexes, aligned slots, split rings, split event channels; classic = Xen's layout with feature-sg). vs classic: the same mode all on / all off; " +
            "/ C ring: packets/s over the C ring's descriptors/s (order 0); / C byte ring: the same message size:",
            "| size | grant mode | features | order | queues | packets/s | GB/s | vs classic | / C ring | / C byte ring | / limit | / socket | CPU ns/packet | regimes |",
            "|---:|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
            cells.Where(c => c.Group == MatrixGroup.Packet),
            c => $"| {c.MessageBytes} | {c.GrantMode} | {c.Item} | {c.Order} | {c.Queues} | {Figure(c)} | {Spread.Values(c, s => s.GigabytesPerSecond).Text("0.000")} | " +
                $"{r.Ratio(c, c.Classic).RatioText()} | {r.Ratio(c, c.CRing).RatioText()} | {r.Ratio(c, c.ByteRing).RatioText()} | {r.LimitRatio(c).RatioText()} | " +
                $"{r.Ratio(c, c.Socket).RatioText()} | {Nanoseconds(c)} | {Regimes(c)} |");
        Table(text, "Round trips, one 8 B request outstanding through a ring (HdrHistogram of every round trip; vs classic: spin-then-block / busy-spin):",
            "| wait | p50 us | p99 us | p99.9 us | notifications/msg | syscalls/msg | CPU ns/msg | back idle CPU | vs busy-spin | / C ring RT | / cache-line RT | / socket RT | regimes |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
            cells.Where(c => c.RoundTripMode >= 0),
            c => $"| {(c.Group == MatrixGroup.Baseline ? "unix socket" : c.Wait)} | {Spread.Values(c, s => s.P50).Text("0.000")} | {Spread.Values(c, s => s.P99).Text("0.000")} | {Spread.Values(c, s => s.P999).Text("0.000")} | " +
                $"{Spread.Values(c, s => s.NotificationsPerMessage).Text("0.0000")} | {Spread.Values(c, s => s.SystemCallsPerMessage).Text("0.0000")} | {Nanoseconds(c)} | " +
                $"{Spread.Values(c, s => s.IdleCpu * 100).Text("0.0")} % | {r.Ratio(c, c.Classic).RatioText()} | {r.Ratio(c, c.CRing).RatioText()} | {r.LimitRatio(c).RatioText()} | " +
                $"{r.Ratio(c, c.Socket).RatioText()} | {Regimes(c)} |");
        AppendApplication(text, r, cells);
    }

    /// <summary>The application API's cells (appended to the placement's tables).</summary>
    private static void AppendApplication(StringBuilder text, MatrixResult r, MatrixCell[] cells) =>
        Table(text, "The application API (PvRingConnection with its defaults: every ring feature, persistent grants, spin-then-block waits; " +
            "the round trip's \"vs classic\" is the bare ring's spin-then-block round trip):",
            "| case | figure | p50 us | p99 us | p99.9 us | GB/s | CPU ns/msg | vs classic | / C ring | / C byte ring | / limit | / socket | regimes |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
            cells.Where(c => c.Group == MatrixGroup.Application),
            c => $"| {c.Label} | {Figure(c)} | {Spread.Values(c, s => s.P50).Text("0.000")} | {Spread.Values(c, s => s.P99).Text("0.000")} | {Spread.Values(c, s => s.P999).Text("0.000")} | " +
                $"{Spread.Values(c, s => s.GigabytesPerSecond).Text("0.000")} | {Spread.Values(c, s => s.CpuSecondsPerMessage * 1e9).Text("0.0")} | {r.Ratio(c, c.Classic).RatioText()} | {r.Ratio(c, c.CRing).RatioText()} | {r.Ratio(c, c.ByteRing).RatioText()} | " +
                $"{r.LimitRatio(c).RatioText()} | {r.Ratio(c, c.Socket).RatioText()} | {Regimes(c)} |");

    /// <summary>One table: a line saying what it shows, the header, one row per cell.</summary>
    private static void Table(StringBuilder text, string intro, string header, string alignment, IEnumerable<MatrixCell> cells, Func<MatrixCell, string> row)
    {
        text.AppendLine();
        text.AppendLine(intro);
        text.AppendLine();
        text.AppendLine(header);
        text.AppendLine(alignment);
        foreach (MatrixCell c in cells)
        {
            text.AppendLine(row(c));
        }
    }

    /// <summary>The figure with its unit: a round trip in us (RT), else messages/s.</summary>
    private static string Figure(MatrixCell c) => c.IsRoundTrip
        ? "RT " + Spread.Values(c, s => s.RoundTripMicroseconds).Text("0.000") + " us"
        : Spread.Values(c, s => s.MessagesPerSecond).Text("N0") + "/s";

    private static string Nanoseconds(MatrixCell c) => Spread.Values(c, s => s.CpuSecondsPerMessage * 1e9).Text("0.0");

    private static string Regimes(MatrixCell c) =>
        $"{c.Samples.Count(s => s.Regime == "near")}/{c.Samples.Count(s => s.Regime == "far")}/{c.Samples.Count(s => s.Regime is not ("near" or "far"))}";
}
