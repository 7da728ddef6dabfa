// Licensed under the MIT License. See LICENSE in the repository root.

using System.Buffers.Binary;
using PvRing.Tests.Infrastructure;
using PvRing.TestPeer;
using PvRing.Transport;

namespace PvRing.Tests.Hardening;

/// <summary>The application API under the hostile writer: see <see cref="CrossProcessHostileTests"/>.</summary>
public sealed partial class CrossProcessHostileTests
{
    private const int ApiConnections = 10;

    /// <summary>
    /// The writer is an application-API front (the peer that memfds and seals do not stop from writing): each of its
    /// connections writes the sealed memory it holds (its arena, grant table, event and flush pages, and the listener's
    /// event page) while the listener here sends and receives. Every connection ends within the bound, in order (the
    /// writer closed it) or with the library's exception; the listener keeps accepting, and an honest front that comes
    /// after exchanges checked packets.
    /// </summary>
    [Fact]
    public async Task ApiConnections_WhileTheFrontWritesItsSealedMemory_ListenerDeliversValidPacketsOrEndsClearly()
    {
        var tally = new FuzzTally();
        using var host = new TempHost();
        await using PvRingListener listener = await PvRingListener.StartAsync("fuzz", new PvRingListenerOptions { Host = host.Host, NegotiationTimeout = TimeSpan.FromSeconds(5) });
        int connections = FuzzBudget.Cases(ApiConnections);
        using HostileWriter writer = HostileWriter.StartApi(FuzzBudget.RunSeed, "fuzz", host.Path, connections);
        output.WriteLine($"api: hostile writer seed={writer.Seed}; replay its values with PVRING_FUZZ_SEED={writer.Seed}; PVRING_FUZZ_SCALE=N runs N times the connections");
        var failures = new List<string>();
        for (int c = 0; c < connections; c++)
        {
            if (FuzzBudget.Run($"api connection {c} writer={writer.Seed}", () => RunApiCaseAsync(listener, tally).GetAwaiter().GetResult(), e => e is PvRingException) is string failure)
            {
                output.WriteLine(failure);
                failures.Add(failure);
            }
        }

        Assert.Empty(failures);
        Report(writer, tally, "api", endsByItself: true);
        Assert.True(tally["accepted"] > 0, $"no connection was accepted: {tally}");

        // The listener stays usable: an honest front exchanges checked packets.
        using ChildProcess honest = ChildProcess.StartPeer("api-connect", "fuzz", host.Path, "200");
        await using PvRingConnection connection = await listener.AcceptAsync(new CancellationTokenSource(FuzzBudget.CaseBound).Token);
        try
        {
            Task sending = Task.Run(async () =>
            {
                for (long i = 0; i < 200; i++)
                {
                    await connection.SendAsync(ApiPackets.Make(i));
                }
            });
            var buffer = new byte[ApiPackets.MaxSize];
            for (long i = 0; i < 200; i++)
            {
                ApiPackets.Check(buffer.AsSpan(0, await connection.ReceiveAsync(buffer).AsTask().WaitAsync(FuzzBudget.CaseBound)), i);
            }

            await sending.WaitAsync(FuzzBudget.CaseBound);
            honest.AssertExit(0, FuzzBudget.CaseBound);
        }
        catch (PvRingException e)
        {
            Assert.Fail($"The honest front after the writer (pid {honest.Id}) failed: {e}\nIts output:\n{honest.Output}");
        }
    }

    /// <summary>One connection of the writer, accepted and served until it ends (in order, or with the library's exception).</summary>
    private static async Task RunApiCaseAsync(PvRingListener listener, FuzzTally tally)
    {
        using var bound = new CancellationTokenSource(FuzzBudget.CaseBound - TimeSpan.FromSeconds(2));
        PvRingConnection connection;
        try
        {
            connection = await listener.AcceptAsync(bound.Token);
        }
        catch (PvRingException e)
        {
            tally.Add("accept-refused:" + e.GetType().Name);
            return;
        }

        tally.Add("accepted");
        try
        {
            var buffer = new byte[ApiPackets.MaxSize];
            long sent = 0;
            while (true)
            {
                if (connection.TrySend(ApiPackets.Make(sent)))
                {
                    sent++;
                }

                int length;
                using (var step = CancellationTokenSource.CreateLinkedTokenSource(bound.Token))
                {
                    step.CancelAfter(TimeSpan.FromMilliseconds(2));
                    try
                    {
                        length = await connection.ReceiveAsync(buffer, step.Token);
                    }
                    catch (OperationCanceledException) when (!bound.IsCancellationRequested)
                    {
                        continue; // nothing came in 2 ms: send again
                    }
                    catch (OperationCanceledException)
                    {
                        throw new InvalidOperationException($"The connection did not end within {(FuzzBudget.CaseBound - TimeSpan.FromSeconds(2)).TotalSeconds} s (the writer closes it after its writes).");
                    }
                }

                if (length == 0)
                {
                    tally.Add("ended-in-order");
                    return;
                }

                if (length > ApiPackets.MaxSize)
                {
                    throw new InvalidOperationException($"A packet of {length} bytes was delivered.");
                }

                long i = length >= 12 ? BinaryPrimitives.ReadInt64LittleEndian(buffer) : -1;
                tally.Add(i >= 0 && buffer.AsSpan(0, length).SequenceEqual(ApiPackets.Make(i)) ? "packets" : "packets-altered");
            }
        }
        catch (PvRingException e)
        {
            tally.Add("ended:" + e.GetType().Name);
            tally.Refused(e);
        }
        finally
        {
            await connection.DisposeAsync().AsTask().WaitAsync(s_closeBound);
        }
    }
}
