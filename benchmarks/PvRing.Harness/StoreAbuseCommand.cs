// Licensed under the MIT License. See LICENSE in the repository root.

using System.Buffers.Binary;
using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using System.Text;
using PvRing.Store;

namespace PvRing.Harness;

/// <summary>
/// <c>store-abuse [--clients N] [--seconds S]</c>: the store's memory under the abusive clients of issue 14, before,
/// during and after each: N clients that send READs of a 4 KB value and never read a reply; N clients that each set 128
/// watches under a path another client writes to for S seconds, and never read an event; 4N clients that each hold the most
/// open transactions (10) with ten 1 KB writes in each; one unprivileged domain that commits 10 concurrent transactions
/// that together create ten times its node quota. The store runs alone in a child process
/// (<see cref="StoreAbuseServerCommand"/>, default limits) over a tree of 1,000 nodes; its resident memory and GC heap are
/// printed before and after a full collection. Figures to read, not to compare with a threshold.
/// </summary>
internal sealed class StoreAbuseCommand : IHarnessCommand
{
    private const uint ReadType = 2; // XS_READ
    private const uint WatchType = 4; // XS_WATCH
    private static readonly TimeSpan s_bound = TimeSpan.FromSeconds(60);

    public string Name => "store-abuse";

    public string Summary => "the store's memory before, during and after abusive clients";

    public int Run(string[] args)
    {
        int clients = 16;
        double seconds = 3;
        for (int i = 0; i + 1 < args.Length; i += 2)
        {
            switch (args[i])
            {
                case "--clients" when int.TryParse(args[i + 1], CultureInfo.InvariantCulture, out int c) && c is > 0 and <= 60:
                    clients = c;
                    break;
                case "--seconds" when double.TryParse(args[i + 1], NumberStyles.Float, CultureInfo.InvariantCulture, out double s) && s > 0:
                    seconds = s;
                    break;
                default:
                    Console.Error.WriteLine("usage: store-abuse [--clients 1..60] [--seconds S]");
                    return 64;
            }
        }

        string directory = Path.Combine(Path.GetTempPath(), "pvring-store-abuse-" + Environment.ProcessId.ToString(CultureInfo.InvariantCulture));
        using Process store = StartStore(directory);
        try
        {
            return RunAsync(store, Path.Combine(directory, XenStoreServer.DefaultSocketName), clients, TimeSpan.FromSeconds(seconds)).GetAwaiter().GetResult();
        }
        finally
        {
            store.StandardInput.WriteLine("quit");
            if (!store.WaitForExit(10_000))
            {
                store.Kill();
            }

            Directory.Delete(directory, recursive: true);
        }
    }

    private static async Task<int> RunAsync(Process store, string socket, int clients, TimeSpan duration)
    {
        await using XenStoreClient admin = await XenStoreClient.ConnectAsync(new XenStoreClientOptions { SocketPath = socket });
        for (int i = 0; i < 1000; i++)
        {
            await admin.WriteAsync($"/tree/n{i}", new string('t', 100));
        }

        await admin.WriteAsync("/big", new string('v', 4000));
        Console.WriteLine($"store-abuse: store in pid {store.Id} (default limits), a tree of 1,000 nodes; {clients} abusive clients per kind, {duration.TotalSeconds:0.#} s each");
        Console.WriteLine($"{"moment",-42} {"RSS MB",8} {"heap MB",8} {"RSS MB after GC",16} {"heap MB after GC",17}");
        Measure(store, "before");

        // 1. Clients that flood READs and never read a reply.
        var readers = new List<Socket>();
        var flooding = new List<Task<long>>();
        byte[] read = Message(ReadType, 0, "/big\0");
        for (int c = 0; c < clients; c++)
        {
            Socket raw = await ConnectRawAsync(socket);
            readers.Add(raw);
            flooding.Add(Task.Run(() => Flood(raw, read, duration)));
        }

        long sent = (await Task.WhenAll(flooding)).Sum();
        Measure(store, $"never-reading clients ({sent:N0} READs)");
        readers.ForEach(r => r.Dispose());
        await admin.ReadAsync("/big"); // served again; the store has seen the closes
        Measure(store, "after they left");

        // 2. Watch floods: 128 watches per client, events never read, while another client writes.
        var watchers = new List<Socket>();
        for (int c = 0; c < clients; c++)
        {
            Socket raw = await ConnectRawAsync(socket);
            watchers.Add(raw);
            for (int w = 0; w < 128; w++)
            {
                raw.Send(Message(WatchType, (uint)w, $"/flood\0c{c}w{w}\0"));
            }
        }

        long writes = 0;
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < duration)
        {
            await admin.WriteAsync($"/flood/k{writes % 64}", writes.ToString(CultureInfo.InvariantCulture));
            writes++;
        }

        Measure(store, $"watch floods ({writes:N0} writes)");
        watchers.ForEach(w => w.Dispose());
        await admin.ReadAsync("/big");
        Measure(store, "after they left");

        // 3. Many open transactions, each with writes of its own.
        var holders = new List<XenStoreClient>();
        var open = new List<XenStoreTransaction>();
        string kilobyte = new('x', 1000);
        for (int c = 0; c < clients * 4; c++)
        {
            XenStoreClient holder = await XenStoreClient.ConnectAsync(new XenStoreClientOptions { SocketPath = socket });
            holders.Add(holder);
            for (int t = 0; t < 10; t++)
            {
                XenStoreTransaction transaction = await holder.StartTransactionAsync();
                open.Add(transaction);
                for (int i = 0; i < 10; i++)
                {
                    await transaction.WriteAsync($"/txn/c{c}/t{t}/n{i}", kilobyte);
                }
            }
        }

        Measure(store, $"open transactions ({open.Count:N0}, 10 writes each)");
        foreach (XenStoreClient holder in holders)
        {
            await holder.DisposeAsync();
        }

        await admin.ReadAsync("/big");
        Measure(store, "after they left");

        // 4. Quota abuse at commit: ten concurrent transactions of one unprivileged domain, each 900 new nodes (quota 1,000).
        await admin.IntroduceDomainAsync(7);
        int committed = 0, refused = 0;
        await using (XenStoreClient guest = await XenStoreClient.ConnectAsync(new XenStoreClientOptions { SocketPath = socket, DomainId = 7 }))
        {
            // One directory per transaction, made first, so they do not conflict (each touches only its own parent).
            for (int t = 0; t < 10; t++)
            {
                await guest.WriteAsync($"q{t}", "");
            }

            var transactions = new List<XenStoreTransaction>();
            for (int t = 0; t < 10; t++)
            {
                XenStoreTransaction transaction = await guest.StartTransactionAsync();
                transactions.Add(transaction);
                for (int i = 0; i < 900; i++)
                {
                    await transaction.WriteAsync($"q{t}/n{i}", "q");
                }
            }

            Measure(store, "quota abuse, before the commits");
            foreach (XenStoreTransaction transaction in transactions)
            {
                try
                {
                    await transaction.CommitAsync();
                    committed++;
                }
                catch (XenStoreException e) when (e.ErrorName is "EQUOTA" or "EAGAIN")
                {
                    refused++;
                }
            }
        }

        await admin.ReadAsync("/big");
        Measure(store, $"after ({committed} committed, {refused} refused)");
        int landed = 0;
        for (int t = 0; t < 10; t++)
        {
            landed += await admin.ExistsAsync($"/local/domain/7/q{t}/n0") ? 1 : 0;
        }

        Console.WriteLine($"store-abuse: domain 7 holds {1 + 10 + (landed * 900)} nodes after its commits (home, 10 directories, {landed} transactions' 900; quota 1,000)");
        return 0;
    }

    private static long Flood(Socket raw, byte[] read, TimeSpan duration)
    {
        raw.SendTimeout = 500;
        long sent = 0;
        var clock = Stopwatch.StartNew();
        try
        {
            while (clock.Elapsed < duration)
            {
                raw.Send(read);
                sent++;
            }
        }
        catch (SocketException)
        {
            // The kernel's buffers filled because the store stopped reading this client, or it closed the connection.
        }

        return sent;
    }

    private static void Measure(Process store, string moment)
    {
        store.StandardInput.WriteLine("measure");
        Task<string?> line = store.StandardOutput.ReadLineAsync();
        if (!line.Wait(s_bound) || line.Result is not string answer)
        {
            throw new InvalidOperationException($"the store did not answer 'measure' within {s_bound.TotalSeconds:0} s");
        }

        Dictionary<string, long> figures = answer.Split(' ').Select(p => p.Split('=')).ToDictionary(p => p[0], p => long.Parse(p[1], CultureInfo.InvariantCulture));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{moment,-42} {figures["rss_kb"] / 1024.0,8:0.0} {figures["heap_kb"] / 1024.0,8:0.0} {figures["rss_after_gc_kb"] / 1024.0,16:0.0} {figures["heap_after_gc_kb"] / 1024.0,17:0.0}"));
    }

    private static Process StartStore(string directory)
    {
        string self = Environment.ProcessPath ?? "dotnet";
        var info = new ProcessStartInfo(self)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        if (Path.GetFileNameWithoutExtension(self) == "dotnet")
        {
            info.ArgumentList.Add(typeof(StoreAbuseCommand).Assembly.Location);
        }

        info.ArgumentList.Add("store-abuse-server");
        info.ArgumentList.Add(directory);
        Process store = Process.Start(info)!;
        PeerProcess.WaitReady(store, "the store", s_bound);
        return store;
    }

    private static async Task<Socket> ConnectRawAsync(string socket)
    {
        var raw = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        await raw.ConnectAsync(new UnixDomainSocketEndPoint(socket));
        return raw;
    }

    /// <summary>An xs_wire message: type, request id, transaction 0, length, payload.</summary>
    private static byte[] Message(uint type, uint requestId, string payload)
    {
        byte[] body = Encoding.ASCII.GetBytes(payload);
        byte[] message = new byte[16 + body.Length];
        BinaryPrimitives.WriteUInt32LittleEndian(message, type);
        BinaryPrimitives.WriteUInt32LittleEndian(message.AsSpan(4), requestId);
        BinaryPrimitives.WriteUInt32LittleEndian(message.AsSpan(12), (uint)body.Length);
        body.CopyTo(message, 16);
        return message;
    }
}
