// Licensed under the MIT License. See LICENSE in the repository root.

using PvRing.Rings;

namespace PvRing.Tests.Rings;

internal sealed class CountingNotifier : IRingNotifier
{
    public int Count { get; private set; }

    public void Notify() => Count++;
}
