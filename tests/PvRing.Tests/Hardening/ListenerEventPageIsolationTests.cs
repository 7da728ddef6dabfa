// Licensed under the MIT License. See LICENSE in the repository root.

using PvRing.Tests.Infrastructure;
using PvRing.TestPeer;
using PvRing.Transport;

namespace PvRing.Tests.Hardening;

/// <summary>
/// A front end of the application API writes the event page the listener handed it: it may break its own connection,
/// never the listener's next ones (found by the cross-process hostile writer: a front that scribbled domain 0's one
/// shared event page made every later front refuse it, "Invalid event page for domain 0").
/// </summary>
public sealed class ListenerEventPageIsolationTests
{
    private static readonly TimeSpan s_bound = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task FrontOverwritesTheListenersEventPage_NextFrontStillExchangesPackets()
    {
        using var host = new TempHost();
        await using PvRingListener listener = await PvRingListener.StartAsync("isolation", new PvRingListenerOptions { Host = host.Host });
        using ChildProcess hostile = ChildProcess.StartPeer("api-scribble", "isolation", host.Path);
        await using PvRingConnection first = await listener.AcceptAsync(new CancellationTokenSource(s_bound).Token);
        Assert.Equal("scribbled 1", hostile.ReadLine(s_bound));

        using ChildProcess honest = ChildProcess.StartPeer("api-connect", "isolation", host.Path, "100");
        PvRingConnection? accepted = null;
        try
        {
            accepted = await listener.AcceptAsync(new CancellationTokenSource(s_bound).Token);
        }
        catch (OperationCanceledException)
        {
            Assert.Fail($"The front after the hostile one never connected. Its output:\n{honest.Output}");
        }

        await using PvRingConnection second = accepted;
        Task sending = Task.Run(async () =>
        {
            for (long i = 0; i < 100; i++)
            {
                await second.SendAsync(ApiPackets.Make(i));
            }
        });
        var buffer = new byte[ApiPackets.MaxSize];
        try
        {
            for (long i = 0; i < 100; i++)
            {
                ApiPackets.Check(buffer.AsSpan(0, await second.ReceiveAsync(buffer).AsTask().WaitAsync(s_bound)), i);
            }

            await sending.WaitAsync(s_bound);
        }
        catch (PvRingException e)
        {
            Assert.Fail($"The front after the hostile one failed: {e.Message}\nIts output:\n{honest.Output}");
        }

        honest.AssertExit(0, s_bound);
    }
}
