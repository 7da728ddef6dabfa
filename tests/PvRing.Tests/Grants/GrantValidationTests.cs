// Licensed under the MIT License. See LICENSE in the repository root.

using PvRing.Grants;
using PvRing.TestPeer;

namespace PvRing.Tests.Grants;

public sealed class GrantValidationTests
{
    [Fact]
    public void EveryScheme_BadInput_GivesXenStatusAndLeavesNothingPinned()
    {
        using var domains = new GrantTestDomains();
        uint[] refs = GrantFixture.Grant(domains.Host.Host, domains.Front, GrantTestDomains.BackId);
        var log = new StringWriter();
        Assert.True(GrantFixture.Check(domains.Host.Host, domains.Foreign, refs, log) == 0, log.ToString());
    }

    [Fact]
    public async Task UnstableEntry_GivesUpAfterFewSwaps()
    {
        using var domains = new GrantTestDomains();
        uint reference = domains.Front.GrantAccess(GrantTestDomains.BackId, 0, readOnly: false);
        using var stop = new CancellationTokenSource();
        // A hostile granter flips its flags word as fast as it can; the pin must return, never spin forever.
        var flipper = Task.Run(() =>
        {
            while (!stop.IsCancellationRequested)
            {
                domains.Front.TryEndAccess(reference, keepReference: true);
                domains.Front.RegrantAccess(reference, GrantTestDomains.BackId, 0, readOnly: false);
            }
        });
        using var copier = new GrantCopier(domains.Foreign);
        var buffer = new byte[16];
        for (int i = 0; i < 20_000; i++)
        {
            GrantStatus status = copier.Read(reference, 0, buffer);
            Assert.True(status is GrantStatus.Okay or GrantStatus.GeneralError, status.ToString());
        }

        stop.Cancel();
        await flipper.WaitAsync(TimeSpan.FromSeconds(10));
    }
}
