// Licensed under the MIT License. See LICENSE in the repository root.

using System.Buffers.Binary;
using CsCheck;
using PvRing.Bus;
using PvRing.Events;
using PvRing.Grants;
using PvRing.Memory;
using PvRing.Store;
using PvRing.Tests.Store;
using PvRing.Transport;

namespace PvRing.Tests.Hardening;

/// <summary>The device and the store under the hostile writer: see <see cref="CrossProcessHostileTests"/>.</summary>
public sealed partial class CrossProcessHostileTests
{
    private const int NetCases = 12;
    private const int StoreCases = 8;
    private const int StoreCaseMilestones = 3;
    private static readonly TimeSpan s_closeBound = TimeSpan.FromSeconds(20);
    private static readonly XenBusOptions s_bus = new() { Timeout = TimeSpan.FromSeconds(2) };
    private static readonly string[] s_netFiles = ["arena-1", "gnttab-1", "evtchn-1", "evtchn-0"];

    private static Gen<NetGrantModes> GrantModes =>
        Gen.OneOf(NetGrantModes.Copy, NetGrantModes.Map, NetGrantModes.Persistent, NetGrantModes.DirectMap, NetGrantModes.DeferredUnmap);

    [Fact]
    public async Task NetDevice_WhileAnotherProcessWritesItsMemory_DeliversOnlyValidPacketsOrThrowsTheLibrarysException()
    {
        var tally = new FuzzTally();
        await using var store = StoreTestHost.Start();
        NetCaseDevice device = await NetCaseDevice.CreateAsync(store);
        using HostileWriter writer = StartWriter("net device", store.SocketPath, hostileStore: false);
        Gen<(NetGrantModes Mode, int Seed, bool ArmFirst)> cases = Gen.Select(GrantModes, Gen.Int, Gen.Frequency((4, false), (1, true)));
        FuzzBudget.Sample(cases, NetCases, output, c => FuzzBudget.Run(
            $"{c.Mode} seed={c.Seed} arm-first={c.ArmFirst} writer={writer.Seed}",
            () => RunNetCaseAsync(writer, device, c.Mode, c.Seed, c.ArmFirst ? NetHostility.ArmFirst : NetHostility.Memory, tally).GetAwaiter().GetResult(),
            e => e is PvRingException));
        Report(writer, tally, "net device");
        Assert.True(tally["packets"] > 0 && tally["refused"] > 0, $"the writer no longer reaches both outcomes: {tally}");

        // Nothing the writer did outlives its cases: a device on fresh memory moves packets exactly once, in order.
        await CleanExchangeAsync(writer, device);
    }

    [Fact]
    public async Task Store_WhileAnotherProcessWritesKeysAndRawFrames_ServesAndNegotiatesOrFailsClearly()
    {
        var tally = new FuzzTally();
        var log = new Connections.ListLogger();
        await using var store = StoreTestHost.Start(logger: log);
        XenStoreClient survivor = await store.ConnectAsync();
        NetCaseDevice device = await NetCaseDevice.CreateAsync(store);
        using HostileWriter writer = StartWriter("store", store.SocketPath, hostileStore: true);
        Gen<(NetGrantModes Mode, int Seed)> cases = Gen.Select(GrantModes, Gen.Int);
        int served = 0;
        FuzzBudget.Sample(cases, StoreCases, output, c => FuzzBudget.Run($"{c.Mode} seed={c.Seed} writer={writer.Seed}", () =>
        {
            RunNetCaseAsync(writer, device, c.Mode, c.Seed, NetHostility.None, tally).GetAwaiter().GetResult();

            // A client connected all along is still served.
            string value = served.ToString(System.Globalization.CultureInfo.InvariantCulture);
            survivor.WriteAsync("/fuzz/survivor", value, StoreTestHost.Bounded()).GetAwaiter().GetResult();
            if (survivor.ReadAsync("/fuzz/survivor", StoreTestHost.Bounded()).GetAwaiter().GetResult() != value)
            {
                throw new InvalidOperationException("the survivor read back another value");
            }

            served++;
        }, e => e is PvRingException));
        Report(writer, tally, "store");
        Assert.False(log.Contains("internal error"), "the store failed to handle a request: " + string.Join(" | ", log.Messages));
        Assert.Equal(FuzzBudget.Cases(StoreCases), served);
        await CleanExchangeAsync(writer, device);
    }

    /// <summary>
    /// One device on fresh memory: both ends connect (or fail clearly), then exchange packets both ways while the writer
    /// writes the case's memory (until it hit every file) or, with <see cref="NetHostility.None"/>, only the store
    /// (for <see cref="StoreCaseMilestones"/> rounds of its store actions); then both close within <see cref="s_closeBound"/> and the toolstack recycles the device.
    /// </summary>
    private static async Task RunNetCaseAsync(HostileWriter writer, NetCaseDevice device, NetGrantModes mode, int seed, NetHostility hostility, FuzzTally tally)
    {
        HostDirectory host = writer.NewCase(seed);
        var wants = NetDeviceFeatures.All with { RingPageOrder = 0, GrantModes = mode, Queues = 1 };
        NetFrontend? front = null;
        NetBackend? back = null;
        try
        {
            using GrantDomain grants = GrantDomain.Create(host, 1, NetFrontend.DomainOptionsFor(wants));
            using EventDomain frontEvents = EventDomain.Create(host, 1);
            using EventDomain backEvents = EventDomain.Create(host, 0);
            if (hostility == NetHostility.ArmFirst)
            {
                HostileWriter.Arm(host); // while the ends negotiate and map
            }

            try
            {
                (front, back) = await device.ConnectAsync(host, grants, frontEvents, backEvents, wants, tally);
                if (front is null || back is null)
                {
                    return;
                }

                if (hostility != NetHostility.None)
                {
                    HostileWriter.Arm(host);
                }

                var exchange = new NetExchange(front, back, new Random(seed), tally);
                if (hostility == NetHostility.None)
                {
                    writer.WaitForStoreActions(StoreCaseMilestones, exchange.Step);
                }
                else
                {
                    writer.WaitForHits(host, s_netFiles, exchange.Step);
                }
            }
            finally
            {
                await CloseAsync(front, back, tally);
            }
        }
        finally
        {
            await device.RecycleAsync(tally);
            HostileWriter.EndCase(host);
        }
    }

    /// <summary>Closes both ends together (the front's close waits for the back's), bounded; the library's exception is a clear end.</summary>
    private static async Task CloseAsync(NetFrontend? front, NetBackend? back, FuzzTally tally)
    {
        Task closingFront = front is null ? Task.CompletedTask : front.DisposeAsync().AsTask();
        Task closingBack = back is null ? Task.CompletedTask : back.DisposeAsync().AsTask();
        foreach (Task closing in new[] { closingBack, closingFront })
        {
            try
            {
                await closing.WaitAsync(s_closeBound);
            }
            catch (PvRingException e)
            {
                tally.Add("close-refused:" + e.GetType().Name);
            }
        }
    }

    /// <summary>
    /// After the writer stopped: a device on memory it never saw, and in device directories it never saw (the store writer
    /// may have written into the ones the last case recycled before it stopped), exchanges 300 packets each way, exactly
    /// once and in order.
    /// </summary>
    private async Task CleanExchangeAsync(HostileWriter writer, NetCaseDevice device)
    {
        var tally = new FuzzTally();
        await device.RecycleAsync(tally);
        Assert.DoesNotContain("toolstack-refused", tally.ToString(), StringComparison.Ordinal);
        HostDirectory host = writer.NewCase(0);
        var wants = NetDeviceFeatures.All with { RingPageOrder = 0, GrantModes = NetGrantModes.Copy, Queues = 1 };
        try
        {
            using GrantDomain grants = GrantDomain.Create(host, 1, NetFrontend.DomainOptionsFor(wants));
            using EventDomain frontEvents = EventDomain.Create(host, 1);
            using EventDomain backEvents = EventDomain.Create(host, 0);
            (NetFrontend? front, NetBackend? back) = await device.ConnectAsync(host, grants, frontEvents, backEvents, wants, tally);
            Assert.True(front is not null && back is not null, $"the clean device did not connect: {tally} {tally.FirstRefusals}");
            try
            {
                var exchange = new NetExchange(front, back, new Random(1), tally, inOrder: true);
                var clock = System.Diagnostics.Stopwatch.StartNew();
                while (!exchange.Exchanged(300))
                {
                    exchange.Step();
                    Assert.True(clock.Elapsed < FuzzBudget.CaseBound, $"the clean exchange stalled: {tally}");
                }
            }
            finally
            {
                await CloseAsync(front, back, tally);
            }

            Assert.Equal(0, tally["refused"] + tally["packets-altered"]);
            output.WriteLine($"clean device after the writer: {tally}");
        }
        finally
        {
            await device.RecycleAsync(tally);
            HostileWriter.EndCase(host);
        }
    }

    /// <summary>What the writer does to a net case.</summary>
    private enum NetHostility
    {
        /// <summary>Nothing to its memory (the store test: the writer writes the store).</summary>
        None,

        /// <summary>Its memory once both ends are connected.</summary>
        Memory,

        /// <summary>Its memory from before the ends negotiate.</summary>
        ArmFirst,
    }

    /// <summary>The toolstack's vif in the store: both ends' store connections, and the device recreated between cases.</summary>
    private sealed class NetCaseDevice
    {
        private readonly XenStoreClient _back;
        private readonly XenStoreClient _front;
        private readonly XenBusDevice _device = new("vif", frontendDomainId: 1, backendDomainId: 0, deviceId: 0);

        private NetCaseDevice(XenStoreClient back, XenStoreClient front)
        {
            _back = back;
            _front = front;
        }

        public static async Task<NetCaseDevice> CreateAsync(StoreTestHost store)
        {
            var device = new NetCaseDevice(await store.ConnectAsync(), await store.ConnectAsync(domainId: 1));
            await device._device.CreateAsync(device._back, StoreTestHost.Bounded());
            return device;
        }

        /// <summary>Both ends connect on <paramref name="host"/>'s memory; an end that fails clearly is null (and counted).</summary>
        public async Task<(NetFrontend? Front, NetBackend? Back)> ConnectAsync(
            HostDirectory host, GrantDomain grants, EventDomain frontEvents, EventDomain backEvents, NetDeviceFeatures wants, FuzzTally tally)
        {
            using var bound = new CancellationTokenSource(FuzzBudget.CaseBound / 2);
            Task<NetBackend> connectingBack = NetBackend.ConnectAsync(_back, _device, host, backEvents, new NetBackendOptions { Offers = NetDeviceFeatures.All, Bus = s_bus }, bound.Token);
            Task<NetFrontend> connectingFront = NetFrontend.ConnectAsync(_front, _device, grants, frontEvents, new NetFrontendOptions { Wants = wants, Bus = s_bus }, bound.Token);
            NetFrontend? front = await Connected(connectingFront, "front", tally);
            NetBackend? back = await Connected(connectingBack, "back", tally);
            tally.Add(front is not null && back is not null ? "connected" : "connect-refused");
            return (front, back);
        }

        /// <summary>The toolstack's part between two devices: a fresh device directory (a store that refuses is counted).</summary>
        public async Task RecycleAsync(FuzzTally tally)
        {
            try
            {
                await _back.RemoveAsync(_device.FrontendPath, StoreTestHost.Bounded());
                await _back.RemoveAsync(_device.BackendPath, StoreTestHost.Bounded());
                await _device.CreateAsync(_back, StoreTestHost.Bounded());
            }
            catch (PvRingException e)
            {
                tally.Add("toolstack-refused:" + e.GetType().Name);
            }
        }

        private static async Task<T?> Connected<T>(Task<T> connecting, string end, FuzzTally tally)
            where T : class
        {
            try
            {
                return await connecting;
            }
            catch (PvRingException e)
            {
                tally.Add($"{end}-connect-refused:{e.GetType().Name}");
                tally.Refused(e);
                return null;
            }
        }
    }

    /// <summary>
    /// Packets both ways over a connected device: each carries its sequence number and a pattern derived from it, so a
    /// delivered packet is whole and ours ("packets"), or a well-formed packet whose bytes the writer changed in the shared
    /// buffers ("packets-altered", its right); a length outside netif's 1..65535 fails the case. With <c>inOrder</c>
    /// every packet must be the next of its direction (exactly once, in order).
    /// </summary>
    private sealed class NetExchange(NetFrontend front, NetBackend back, Random random, FuzzTally tally, bool inOrder = false)
    {
        private readonly byte[] _buffer = new byte[NetPacketLimits.MaxPacketSize];
        private long _frontSent, _backSent, _frontReceived, _backReceived;
        private bool _frontBroken, _backBroken;

        public bool Exchanged(long each) => _frontReceived >= each && _backReceived >= each;

        public void Step()
        {
            if (!_frontBroken)
            {
                _frontBroken = !tally.Attempt(() =>
                {
                    if (front.Queue.TrySend(Packet(_frontSent)))
                    {
                        _frontSent++;
                    }

                    _ = front.Queue.CompleteTransmits();
                    Wait(front.Queue.WaitAsync, (d, t) => front.Queue.Wait(d, new SpinThenBlockWait(), t));
                    for (int i = random.Next(1, 5); i > 0 && front.Queue.TryReceive(_buffer, out int length); i--)
                    {
                        Take(length, ref _frontReceived, "front");
                    }
                });
            }

            if (!_backBroken)
            {
                _backBroken = !tally.Attempt(() =>
                {
                    if (back.Queue.TrySend(Packet(_backSent)))
                    {
                        _backSent++;
                    }

                    Wait(back.Queue.WaitAsync, (d, t) => back.Queue.Wait(d, new SpinThenBlockWait(), t));

                    for (int i = random.Next(1, 5); i > 0 && back.Queue.TryReceive(_buffer, out int length); i--)
                    {
                        Take(length, ref _backReceived, "back");
                    }
                });
            }
        }

        /// <summary>Now and then a bounded wait on one direction (sync or async): signalled, timed out, or the library's exception.</summary>
        private void Wait(Func<NetDirections, TimeSpan, CancellationToken, ValueTask<EventWaitResult>> waitAsync, Func<NetDirections, TimeSpan, EventWaitResult> wait)
        {
            if (random.Next(4) != 0)
            {
                return;
            }

            NetDirections direction = random.Next(2) == 0 ? NetDirections.Transmit : NetDirections.Receive;
            TimeSpan timeout = TimeSpan.FromMilliseconds(random.Next(3));
            EventWaitResult result = random.Next(2) == 0 ? wait(direction, timeout) : waitAsync(direction, timeout, CancellationToken.None).AsTask().GetAwaiter().GetResult();
            tally.Add("wait:" + result);
        }

        private static int SizeOf(long sequence) => sequence % 16 == 15 ? 9000 + (int)(sequence % 50_000) : 8 + (int)((ulong)(sequence * 2654435761L) % 3000);

        private static byte[] Packet(long sequence)
        {
            byte[] packet = new byte[SizeOf(sequence)];
            BinaryPrimitives.WriteInt64LittleEndian(packet, sequence);
            for (int i = 8; i < packet.Length; i++)
            {
                packet[i] = (byte)(sequence + i);
            }

            return packet;
        }

        private void Take(int length, ref long received, string end)
        {
            if (length is < 1 or > NetPacketLimits.MaxPacketSize)
            {
                throw new InvalidOperationException($"The {end} delivered a packet of {length} bytes.");
            }

            long sequence = length >= 8 ? BinaryPrimitives.ReadInt64LittleEndian(_buffer) : -1;
            bool ours = sequence >= 0 && length == SizeOf(sequence) && _buffer.AsSpan(0, length).SequenceEqual(Packet(sequence));
            if (inOrder && (!ours || sequence != received))
            {
                throw new InvalidOperationException($"The {end} delivered packet {sequence} ({length} bytes, whole={ours}) where {received} was next.");
            }

            received++;
            tally.Add(ours ? "packets" : "packets-altered");
        }
    }
}
