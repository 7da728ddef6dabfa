// Licensed under the MIT License. See LICENSE in the repository root.

using System.Diagnostics;
using CsCheck;
using PvRing.Tests.Events;
using PvRing.Events;
using PvRing.Memory;

namespace PvRing.Tests.Hardening;

/// <summary>
/// The bounded hostile fuzzer for event pages: domain 1 of a bound pair plays the hostile peer and writes random and
/// adversarial values into both pages (its own and, as a sender may, the victim's): pending and mask bits, selectors,
/// futex and sleeper words, port bindings (any state, domid and port), and header fields (magic, version, pid, port
/// count, the live flag), between the victim's operations and, in half the cases, from a second thread while they run.
/// The victim (domain 2) notifies, waits (bounded), masks, binds a fresh channel and closes: each works, times out, or
/// ends with the library's <see cref="PvRingException"/>; never another exception, a wait past its bound, or a hang.
/// </summary>
public sealed unsafe class EventPageFuzzTests(Xunit.Abstractions.ITestOutputHelper output)
{
    private const int Cases = 400;
    private static readonly TimeSpan s_waitSlack = TimeSpan.FromSeconds(2);

    public enum Target
    {
        PendingWord,
        MaskWord,
        Selector,
        UpcallPending,
        DispatcherWords,
        Binding,
        PortFutex,
        PortWaiters,
        Header,
        Anywhere,
    }

    [Fact]
    public void HostileEventPages_VictimWorksOrThrowsTheLibrarysException()
    {
        Gen<(Target, bool, int, ulong)[]> writes = Gen.Select(Gen.Enum<Target>(), Gen.Bool, Gen.Int[0, 1023], Gen.ULong).Array[1, 30];
        Gen<(int Seed, bool Concurrent, (Target, bool, int, ulong)[] Writes)> cases = Gen.Select(Gen.Int, Gen.Bool, writes);
        int refused = 0, clean = 0;
        FuzzBudget.Sample(cases, Cases, output, c =>
        {
            bool anyRefused = false;
            string? failure = FuzzBudget.Run(
                $"seed={c.Seed} concurrent={c.Concurrent}",
                () => anyRefused = RunCase(c.Seed, c.Concurrent, c.Writes),
                e => e is PvRingException);
            refused += anyRefused ? 1 : 0;
            clean += anyRefused ? 0 : 1;
            return failure;
        });
        Assert.True(refused > 0, "no case was refused: the generator no longer reaches the checks");
        output.WriteLine($"{FuzzBudget.Cases(Cases)} hostile event-page cases, {refused} with a clear refusal, {clean} without");
    }

    private static bool RunCase(int seed, bool concurrent, (Target Target, bool VictimPage, int Port, ulong Value)[] writes)
    {
        using var pair = new ChannelPair();
        using SharedMemoryFile hostilePage = pair.Host.OpenFile("evtchn-1");
        using SharedMemoryFile victimPage = pair.Host.OpenFile("evtchn-2");
        var random = new Random(seed);
        using var stop = new CancellationTokenSource();
        Thread? scribbler = null;
        if (concurrent)
        {
            scribbler = new Thread(() =>
            {
                var noise = new Random(seed ^ 0x5EED);
                while (!stop.IsCancellationRequested)
                {
                    Scribble(noise.Next(2) == 0 ? hostilePage : victimPage, (Target)noise.Next(10), noise.Next(1024), (ulong)noise.NextInt64());
                }
            }) { IsBackground = true };
            scribbler.Start();
        }

        bool refused = false;
        try
        {
            foreach ((Target target, bool victim, int port, ulong value) in writes)
            {
                Scribble(victim ? victimPage : hostilePage, target, port, value);
                refused |= !Attempt(() => VictimStep(pair, random));
            }

            // Closing over whatever the peer left: the channel, then a fresh bind of a new port and its close.
            refused |= !Attempt(pair.BackChannel.Dispose);
            refused |= !Attempt(() =>
            {
                using EventChannel offered = pair.Front.AllocateUnbound(2);
                using EventChannel bound = pair.Back.BindInterdomain(1, offered.Port);
                bound.Notify();
                _ = offered.Wait(TimeSpan.FromMilliseconds(1));
            });
        }
        finally
        {
            stop.Cancel();
            scribbler?.Join();
        }

        return refused;
    }

    private static void VictimStep(ChannelPair pair, Random random)
    {
        EventChannel victim = pair.BackChannel;
        switch (random.Next(6))
        {
            case 0:
                victim.Notify();
                break;
            case 1:
                Bounded(() => victim.Wait(TimeSpan.FromMilliseconds(random.Next(3))), TimeSpan.FromMilliseconds(3));
                break;
            case 2:
                Bounded(() => victim.WaitAsync(TimeSpan.FromMilliseconds(random.Next(1, 3))).AsTask().GetAwaiter().GetResult(), TimeSpan.FromMilliseconds(3));
                break;
            case 3:
                victim.Mask();
                victim.Unmask();
                break;
            case 4:
                _ = victim.State;
                _ = victim.RemotePort;
                _ = victim.IsPending;
                break;
            default:
                pair.FrontChannel.Notify();
                Bounded(() => pair.FrontChannel.Wait(TimeSpan.FromMilliseconds(1)), TimeSpan.FromMilliseconds(1));
                break;
        }
    }

    private static void Bounded(Func<EventWaitResult> wait, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        EventWaitResult result = wait();
        if (clock.Elapsed > timeout + s_waitSlack)
        {
            throw new InvalidOperationException($"A wait of {timeout.TotalMilliseconds} ms took {clock.ElapsedMilliseconds} ms (result {result}).");
        }
    }

    private static void Scribble(SharedMemoryFile page, Target target, int port, ulong value)
    {
        byte* b = page.Pointer;
        int entry = EventPageLayout.PortTableOffset + (port * EventPageLayout.PortEntrySize);
        switch (target)
        {
            case Target.PendingWord:
                Interlocked.Or(ref *(ulong*)(b + EventPageLayout.PendingOffset + ((port >> 6) * 8)), value);
                break;
            case Target.MaskWord:
                Volatile.Write(ref *(ulong*)(b + EventPageLayout.MaskOffset + ((port >> 6) * 8)), value);
                break;
            case Target.Selector:
                Volatile.Write(ref *(ulong*)(b + EventPageLayout.PendingSelectorOffset), value);
                break;
            case Target.UpcallPending:
                Volatile.Write(ref *(uint*)(b + EventPageLayout.UpcallPendingOffset), (uint)value);
                break;
            case Target.DispatcherWords:
                Volatile.Write(ref *(ulong*)(b + EventPageLayout.DispatcherFutexOffset), value);
                break;
            case Target.Binding:
                // Any state byte, or a well-formed binding naming another domain or port.
                ulong binding = (value & 1) == 0 ? value : (value & 0x3) | ((ulong)(ushort)(value >> 16) % 4 << 16) | ((value >> 32) % 1100 << 32);
                Volatile.Write(ref *(ulong*)(b + entry + EventPageLayout.PortBindingOffset), binding);
                break;
            case Target.PortFutex:
                Interlocked.Increment(ref *(uint*)(b + entry + EventPageLayout.PortFutexOffset));
                break;
            case Target.PortWaiters:
                Volatile.Write(ref *(uint*)(b + entry + EventPageLayout.PortWaitersOffset), (uint)value);
                break;
            case Target.Header:
                int field = (int)(value % 6);
                int offset = field switch
                {
                    0 => EventPageLayout.MagicOffset,
                    1 => EventPageLayout.VersionOffset,
                    2 => EventPageLayout.OwnerPidOffset,
                    3 => EventPageLayout.MaxPortsOffset,
                    4 => EventPageLayout.OwnerStartTimeOffset,
                    _ => EventPageLayout.LiveOffset,
                };
                Volatile.Write(ref *(uint*)(b + offset), (uint)(value >> 8));
                break;
            default:
                Volatile.Write(ref *(ulong*)(b + ((long)(value % (ulong)(page.Length / 8)) * 8)), value);
                break;
        }
    }

    private static bool Attempt(Action operation)
    {
        try
        {
            operation();
            return true;
        }
        catch (PvRingException)
        {
            return false;
        }
    }
}
