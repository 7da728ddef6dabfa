// Licensed under the MIT License. See LICENSE in the repository root.

using System.IO.Pipelines;
using PvRing.Transport;

namespace PvRing.Tests.Connections;

/// <summary>
/// The pipe's output (<see cref="PvRingPipeWriter"/>, shared pages handed out by GetMemory) keeps <see cref="PipeWriter"/>'s
/// contract: flushes post, a full ring makes writes wait (backpressure), cancellation loses nothing, large hints and a full
/// ring stage, completion sends what was written; every byte checked, each way, in every grant mode.
/// </summary>
public sealed class PvRingPipeWriterTests
{
    private static readonly TimeSpan s_bound = PipePair.Bound;

    // More than a one-page ring holds (256 pages each way), so the writer has to wait for the reader.
    private const int MoreThanTheRing = 2 << 20;

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task GetMemory_OnePage_IsASharedPageAndTheFlushPostsIt(bool frontWrites)
    {
        await using var pair = await PipePair.StartAsync("page");
        (PipeWriter output, PipeReader input) = pair.Direction(frontWrites);
        var writer = (PvRingPipeWriter)output;
        Memory<byte> memory = output.GetMemory();
        Assert.Equal(4096, memory.Length);
        Assert.False(System.Runtime.InteropServices.MemoryMarshal.TryGetArray<byte>(memory, out _), "a page of shared memory, not an array");
        PipePair.Pattern(0, 4096).CopyTo(memory);
        output.Advance(4096);
        Assert.Equal(4096, output.UnflushedBytes);

        ValueTask<FlushResult> flushing = output.FlushAsync();
        Assert.True(flushing.IsCompleted, "room in the ring: the flush posts and completes at once");
        Assert.False((await flushing).IsCanceled);
        Assert.Equal(0, writer.PagesClaimed);
        await PipePair.ReadPatternAsync(input, 0, 4096);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task WriteAsync_RingFull_WaitsForTheReaderAndLosesNothing(bool frontWrites)
    {
        await using var pair = await PipePair.StartAsync("full", PipePair.Small());
        (PipeWriter output, PipeReader input) = pair.Direction(frontWrites);
        ValueTask<FlushResult> writing = output.WriteAsync(PipePair.Pattern(0, MoreThanTheRing));
        Assert.False(writing.IsCompleted, "the ring holds less than the write: it waits");

        await PipePair.ReadPatternAsync(input, 0, MoreThanTheRing);
        FlushResult written = await writing.AsTask().WaitAsync(s_bound);
        Assert.False(written.IsCanceled);
        Assert.False(written.IsCompleted);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task CancelPendingFlush_WhileWaitingForRoom_CanceledAndTheBytesFollowInOrder(bool frontWrites)
    {
        await using var pair = await PipePair.StartAsync("cancelflush", PipePair.Small());
        (PipeWriter output, PipeReader input) = pair.Direction(frontWrites);
        var writer = (PvRingPipeWriter)output;
        ValueTask<FlushResult> writing = output.WriteAsync(PipePair.Pattern(0, MoreThanTheRing));
        Assert.False(writing.IsCompleted);
        output.CancelPendingFlush();
        FlushResult canceled = await writing.AsTask().WaitAsync(s_bound);
        Assert.True(canceled.IsCanceled);
        Assert.True(writer.BytesStaged > 0, "what the write could not place is staged, not lost");

        // Later bytes (GetMemory and Advance) go after the staged ones; the next flush sends all, waiting for the reader.
        Memory<byte> memory = output.GetMemory(1000);
        PipePair.Pattern(MoreThanTheRing, 1000).CopyTo(memory);
        output.Advance(1000);
        ValueTask<FlushResult> flushing = output.FlushAsync();
        Assert.False(flushing.IsCompleted);
        await PipePair.ReadPatternAsync(input, 0, MoreThanTheRing + 1000);
        Assert.False((await flushing.AsTask().WaitAsync(s_bound)).IsCanceled);
        Assert.Equal(0, writer.BytesStaged);
    }

    [Fact]
    public async Task CancelPendingFlush_BeforeAFlush_TheNextFlushIsCanceledAndKeepsTheBytes()
    {
        await using var pair = await PipePair.StartAsync("cancelnext");
        PipeWriter output = pair.Front.Pipe.Output;
        PipePair.Pattern(0, 100).CopyTo(output.GetSpan(100));
        output.Advance(100);
        output.CancelPendingFlush();
        Assert.True((await output.FlushAsync()).IsCanceled);
        Assert.False((await output.FlushAsync()).IsCanceled);
        await PipePair.ReadPatternAsync(pair.Back.Pipe.Input, 0, 100);
    }

    [Fact]
    public async Task FlushAsync_TokenCanceledWhileWaitingForRoom_ThrowsAndLosesNothing()
    {
        await using var pair = await PipePair.StartAsync("token", PipePair.Small());
        PipeWriter output = pair.Front.Pipe.Output;
        using var cancel = new CancellationTokenSource();
        ValueTask<FlushResult> writing = output.WriteAsync(PipePair.Pattern(0, MoreThanTheRing), cancel.Token);
        Assert.False(writing.IsCompleted);
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await writing.AsTask().WaitAsync(s_bound));

        Task reading = PipePair.ReadPatternAsync(pair.Back.Pipe.Input, 0, MoreThanTheRing);
        _ = await output.FlushAsync().AsTask().WaitAsync(s_bound);
        await reading.WaitAsync(s_bound);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task GetMemory_SizeHintLargerThanAPage_StagedAndSentByTheFlush(bool frontWrites)
    {
        await using var pair = await PipePair.StartAsync("hint");
        (PipeWriter output, PipeReader input) = pair.Direction(frontWrites);
        var writer = (PvRingPipeWriter)output;
        PipePair.Pattern(0, 1000).CopyTo(output.GetSpan(1000));
        output.Advance(1000);
        Memory<byte> large = output.GetMemory(100_000);
        Assert.True(large.Length >= 100_000);
        PipePair.Pattern(1000, 100_000).CopyTo(large);
        output.Advance(100_000);
        Assert.Equal(100_000, writer.BytesStaged);
        Assert.Equal(101_000, output.UnflushedBytes);

        Task reading = PipePair.ReadPatternAsync(input, 0, 101_000);
        _ = await output.FlushAsync().AsTask().WaitAsync(s_bound);
        await reading.WaitAsync(s_bound);
        Assert.Equal(0, writer.BytesStaged);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Complete_WithBytesWaitingForRoom_SendsThemInTheBackground(bool frontWrites)
    {
        await using var pair = await PipePair.StartAsync("completesend", PipePair.Small());
        (PipeWriter output, PipeReader input) = pair.Direction(frontWrites);
        var writer = (PvRingPipeWriter)output;
        ValueTask<FlushResult> writing = output.WriteAsync(PipePair.Pattern(0, MoreThanTheRing));
        output.CancelPendingFlush();
        Assert.True((await writing.AsTask().WaitAsync(s_bound)).IsCanceled);

        output.Complete();
        Assert.False(writer.Sent.IsCompleted, "the staged bytes wait for room");
        _ = Assert.Throws<InvalidOperationException>(() => output.GetMemory());
        await PipePair.ReadPatternAsync(input, 0, MoreThanTheRing);
        await writer.Sent.WaitAsync(s_bound);
        Assert.Equal(0, writer.PagesClaimed);
    }

    [Fact]
    public async Task Advance_Misuse_ThrowsAsPipeDoes()
    {
        await using var pair = await PipePair.StartAsync("misuse");
        PipeWriter output = pair.Front.Pipe.Output;
        _ = Assert.Throws<InvalidOperationException>(() => output.Advance(1));
        Span<byte> span = output.GetSpan(10);
        Assert.Equal(4096, span.Length);
        _ = Assert.Throws<InvalidOperationException>(() => output.Advance(4097));
        _ = Assert.Throws<ArgumentOutOfRangeException>(() => output.GetMemory(-1));
        output.Advance(0);
        await output.CompleteAsync();
        _ = Assert.Throws<InvalidOperationException>(() => output.GetSpan());
        _ = Assert.Throws<InvalidOperationException>(() => output.FlushAsync());
        Assert.Equal(0, ((PvRingPipeWriter)output).PagesClaimed);
    }

    [Theory]
    [InlineData(NetGrantModes.Persistent, true)]
    [InlineData(NetGrantModes.Persistent, false)]
    [InlineData(NetGrantModes.Copy, true)]
    [InlineData(NetGrantModes.Copy, false)]
    [InlineData(NetGrantModes.Map, true)]
    [InlineData(NetGrantModes.Map, false)]
    [InlineData(NetGrantModes.DirectMap, true)]
    [InlineData(NetGrantModes.DirectMap, false)]
    [InlineData(NetGrantModes.DeferredUnmap, true)]
    [InlineData(NetGrantModes.DeferredUnmap, false)]
    public async Task Stream_EveryGrantMode_RandomWritesEveryByteArrives(NetGrantModes mode, bool frontWrites)
    {
        await using var pair = await PipePair.StartAsync("modes", PipePair.Small(mode));
        Assert.Equal(mode, pair.Front.Features.GrantModes);
        (PipeWriter output, PipeReader input) = pair.Direction(frontWrites);
        const int Total = 3 << 20;
        Task reading = PipePair.ReadPatternAsync(input, 0, Total);
        var random = new Random(12);
        long at = 0;
        while (at < Total)
        {
            int piece = (int)Math.Min(Total - at, random.Next(1, 70_000));
            switch (random.Next(3))
            {
                case 0:
                    _ = await output.WriteAsync(PipePair.Pattern(at, piece)).AsTask().WaitAsync(s_bound);
                    break;
                case 1:
                    // As much as the memory handed out takes, then the rest in the next pieces.
                    Memory<byte> memory = output.GetMemory(random.Next(0, 2) == 0 ? 0 : piece);
                    piece = Math.Min(piece, memory.Length);
                    PipePair.Pattern(at, piece).CopyTo(memory);
                    output.Advance(piece);
                    break;
                default:
                    PipePair.Pattern(at, piece).CopyTo(output.GetSpan(piece));
                    output.Advance(piece);
                    _ = await output.FlushAsync().AsTask().WaitAsync(s_bound);
                    break;
            }

            at += piece;
        }

        _ = await output.FlushAsync().AsTask().WaitAsync(s_bound);
        await reading.WaitAsync(s_bound);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task WriteAsync_PeerClosed_ThrowsTheLibrarysException(bool frontWrites)
    {
        await using var pair = await PipePair.StartAsync("peerclosed");
        PvRingConnection writing = frontWrites ? pair.Front : pair.Back;
        PipeWriter output = writing.Pipe.Output;
        await (frontWrites ? pair.Back : pair.Front).DisposeAsync().AsTask().WaitAsync(s_bound);
        Assert.True(SpinWait.SpinUntil(() => writing.IsPeerGone, s_bound));
        await Assert.ThrowsAnyAsync<PvRingException>(async () => await output.WriteAsync(new byte[10_000]).AsTask().WaitAsync(s_bound));

        // The failure stays: a later flush throws it too.
        await Assert.ThrowsAnyAsync<PvRingException>(async () => await output.FlushAsync().AsTask().WaitAsync(s_bound));
    }
}
