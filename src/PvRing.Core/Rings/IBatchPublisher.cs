// Licensed under the MIT License. See LICENSE in the repository root.

namespace PvRing.Rings;

/// <summary>The ring end a <see cref="SlotBatch{TSlot}"/> publishes to when it is disposed.</summary>
internal interface IBatchPublisher
{
    /// <summary>Advances the private producer index over the batch, publishes it, notifies if asked to.</summary>
    bool PublishBatch(uint start, int count);
}
