// Licensed under the MIT License. See LICENSE in the repository root.

namespace PvRing.Rings;

/// <content>The ring's counters and its entry in the "PvRing.Rings" meter (<see cref="RingMetrics"/>).</content>
public sealed partial class FrontRing<TRequest, TResponse> : IRingMetricsSource
{
    private RingCounters _counters;
    private bool _metricsEnabled;

    /// <summary>
    /// Shows this ring end in the "PvRing.Rings" meter (<see cref="RingMetrics"/>) until it is disposed, tagged with
    /// <paramref name="device"/>, <paramref name="queue"/> and <paramref name="name"/> (and the end, "front").
    /// Calling it again replaces the tags. The counts start from the ring's creation.
    /// </summary>
    /// <param name="device">The device the ring belongs to (a xenstore path such as <c>device/vif/0</c>).</param>
    /// <param name="queue">The device's queue index (0 for a single-queue device).</param>
    /// <param name="name">The ring's name within the queue, such as <c>tx</c> or <c>rx</c>.</param>
    public void EnableMetrics(string device, int queue, string name)
    {
        ArgumentNullException.ThrowIfNull(device);
        ArgumentNullException.ThrowIfNull(name);
        ThrowIfDisposed();
        _metricsEnabled = true;
        RingMetrics.Register(this, device, queue, name, "front");
    }

    /// <inheritdoc/>
    uint IRingMetricsSource.ProducerIndex => Volatile.Read(ref _requestProducerPrivate);

    /// <inheritdoc/>
    uint IRingMetricsSource.ConsumerIndex => Volatile.Read(ref _responseConsumer);

    /// <inheritdoc/>
    RingCounters IRingMetricsSource.ReadCounters() => _counters;

    private void DisableMetrics()
    {
        if (_metricsEnabled)
        {
            _metricsEnabled = false;
            RingMetrics.Unregister(this);
        }
    }
}
