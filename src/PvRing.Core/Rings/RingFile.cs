// Licensed under the MIT License. See LICENSE in the repository root.

using PvRing.Memory;

namespace PvRing.Rings;

/// <summary>
/// A ring file: a file of 2^order pages in a <see cref="HostDirectory"/> holding one shared ring (classic Xen, or a
/// <see cref="RingVariant"/> both ends agreed on) at offset 0 and nothing else. A classic ring file can be shared
/// with a C program using <c>SHARED_RING_INIT</c>/<c>FRONT_RING_INIT</c> on one side or <c>BACK_RING_INIT</c> on the
/// other (format: docs/protocol.md; variants: docs/ring-variants.md).
/// </summary>
/// <remarks>
/// The front creates the file under a temporary name, initialises the ring, and renames it into place, so a
/// back that waits for the name never maps a half-made ring. The back infers a classic ring's order from the file size; a variant's back is told the variant.
/// </remarks>
public static class RingFile
{
    /// <summary>
    /// Creates <paramref name="name"/> with an initialised ring of <paramref name="variant"/>'s layout and returns its
    /// front end (<see cref="RingVariant.Classic(int)"/> for Xen's own ring of 2^order pages). The back must attach with the
    /// same variant (<see cref="Attach{TRequest, TResponse}(HostDirectory, string, RingVariant)"/>), or, for a classic ring,
    /// with <see cref="Attach{TRequest, TResponse}(HostDirectory, string)"/>, which infers the order from the file's size.
    /// </summary>
    /// <exception cref="ArgumentException">The name is invalid.</exception>
    /// <exception cref="PvRingException">The file exists already.</exception>
    public static FrontRing<TRequest, TResponse> Create<TRequest, TResponse>(HostDirectory host, string name, RingVariant variant)
        where TRequest : unmanaged
        where TResponse : unmanaged =>
        Create(host, name, RingVariantLayout.Length(variant), memory => FrontRing<TRequest, TResponse>.Initialize(memory, variant));

    /// <summary>
    /// Attaches a back end (<c>BACK_RING_INIT</c>) to the ring file <paramref name="name"/>, inferring the
    /// order from its size.
    /// </summary>
    /// <exception cref="FileNotFoundException">The file does not exist (yet).</exception>
    /// <exception cref="PvRingException">The file's size is not 2^order pages.</exception>
    public static BackRing<TRequest, TResponse> Attach<TRequest, TResponse>(HostDirectory host, string name)
        where TRequest : unmanaged
        where TResponse : unmanaged
    {
        ArgumentNullException.ThrowIfNull(host);
        using SharedMemoryFile memory = host.OpenFile(name);
        return BackRing<TRequest, TResponse>.Attach(memory, RingVariant.Classic(SharedRingLayout.OrderFromLength(memory.Length)));
    }

    /// <summary>
    /// Waits (polling every few milliseconds) until <paramref name="name"/> exists, then attaches a back end
    /// as <see cref="Attach{TRequest, TResponse}(HostDirectory, string)"/> does.
    /// </summary>
    /// <exception cref="TimeoutException">The file did not appear within <paramref name="timeout"/>.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public static async Task<BackRing<TRequest, TResponse>> WaitAndAttachAsync<TRequest, TResponse>(
        HostDirectory host, string name, TimeSpan timeout, CancellationToken cancellationToken = default)
        where TRequest : unmanaged
        where TResponse : unmanaged
    {
        ArgumentNullException.ThrowIfNull(host);
        await WaitForFileAsync(host, name, timeout, cancellationToken).ConfigureAwait(false);
        return Attach<TRequest, TResponse>(host, name);
    }

    /// <summary>
    /// Attaches a back end (<c>BACK_RING_INIT</c>) to the ring file <paramref name="name"/>, which a front created
    /// with <paramref name="variant"/>.
    /// </summary>
    /// <exception cref="FileNotFoundException">The file does not exist (yet).</exception>
    /// <exception cref="PvRingException">The file's size is not the variant's (2^order pages).</exception>
    public static BackRing<TRequest, TResponse> Attach<TRequest, TResponse>(HostDirectory host, string name, RingVariant variant)
        where TRequest : unmanaged
        where TResponse : unmanaged
    {
        ArgumentNullException.ThrowIfNull(host);
        using SharedMemoryFile memory = host.OpenFile(name);
        if (memory.Length != RingVariantLayout.Length(variant))
        {
            throw new PvRingException($"Ring file '{name}' has length={memory.Length}, not the {RingVariantLayout.Length(variant)} bytes of {variant}.");
        }

        return BackRing<TRequest, TResponse>.Attach(memory, variant);
    }

    /// <summary>
    /// Waits (polling every few milliseconds) until <paramref name="name"/> exists, then attaches a back end as
    /// <see cref="Attach{TRequest, TResponse}(HostDirectory, string, RingVariant)"/> does.
    /// </summary>
    /// <exception cref="TimeoutException">The file did not appear within <paramref name="timeout"/>.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    // A separate name: the analyzer forbids a second WaitAndAttachAsync overload with an optional token.
    public static async Task<BackRing<TRequest, TResponse>> WaitAndAttachVariantAsync<TRequest, TResponse>(
        HostDirectory host, string name, RingVariant variant, TimeSpan timeout, CancellationToken cancellationToken = default)
        where TRequest : unmanaged
        where TResponse : unmanaged
    {
        ArgumentNullException.ThrowIfNull(host);
        await WaitForFileAsync(host, name, timeout, cancellationToken).ConfigureAwait(false);
        return Attach<TRequest, TResponse>(host, name, variant);
    }

    private static FrontRing<TRequest, TResponse> Create<TRequest, TResponse>(
        HostDirectory host, string name, long length, Func<SharedMemoryFile, FrontRing<TRequest, TResponse>> initialize)
        where TRequest : unmanaged
        where TResponse : unmanaged
    {
        ArgumentNullException.ThrowIfNull(host);
        using SharedMemoryFile memory = host.CreateTemporaryFile(name, length, out string temporaryPath);
        FrontRing<TRequest, TResponse>? ring = null;
        try
        {
            ring = initialize(memory);
            host.PublishTemporary(temporaryPath, name);
            return ring;
        }
        catch
        {
            ring?.Dispose();
            File.Delete(temporaryPath);
            throw;
        }
    }

    private static async Task WaitForFileAsync(HostDirectory host, string name, TimeSpan timeout, CancellationToken cancellationToken)
    {
        string path = host.GetFilePath(name);
        long deadline = Environment.TickCount64 + (long)timeout.TotalMilliseconds;
        while (!File.Exists(path))
        {
            if (Environment.TickCount64 >= deadline)
            {
                throw new TimeoutException($"Ring file '{path}' did not appear within {timeout.TotalSeconds:0.###} s.");
            }

            await Task.Delay(5, cancellationToken).ConfigureAwait(false);
        }
    }
}
