// Licensed under the MIT License. See LICENSE in the repository root.

using PvRing.Tests.Infrastructure;
using PvRing.Memory;
using PvRing.Protocols.Netif;
using PvRing.Rings;

namespace PvRing.Tests.Memory;

/// <summary>The host directory: private modes, name rules, page-granular files and clear errors.</summary>
public sealed class HostDirectoryTests
{
    [Theory]
    [InlineData("")]
    [InlineData("a/b")]
    [InlineData("a\\b")]
    [InlineData("..")]
    [InlineData("a..b")]
    [InlineData(".hidden")]
    [InlineData("tab\tname")]
    public void ValidateName_BadName_ThrowsArgumentExceptionSayingWhy(string name)
    {
        var e = Assert.Throws<ArgumentException>(() => HostDirectory.ValidateName(name));
        Assert.Contains("Invalid host file name", e.Message);
    }

    [Fact]
    public void ValidateName_TooLong_Throws()
    {
        HostDirectory.ValidateName(new string('x', HostDirectory.MaxNameLength));
        var e = Assert.Throws<ArgumentException>(() => HostDirectory.ValidateName(new string('x', HostDirectory.MaxNameLength + 1)));
        Assert.Contains("limit", e.Message);
    }

    [Fact]
    public void CreateFile_NewHost_Directory0700File0600()
    {
        using var host = new TempHost();
        using SharedMemoryFile file = host.Host.CreateFile("ring", 8192);

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(host.Path));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file.Path));
        Assert.Equal(2, file.PageCount);
    }

    [Fact]
    public void Constructor_DirectoryOpenToOthers_Refused()
    {
        using var host = new TempHost();
        File.SetUnixFileMode(host.Path, (UnixFileMode)Convert.ToInt32("755", 8));

        var e = Assert.Throws<PvRingException>(() => new HostDirectory(host.Path));
        Assert.Contains("chmod 700", e.Message);
    }

    [Fact]
    public void Constructor_PrivateDirectoryOfAnotherUser_RefusedNamingTheOwner()
    {
        using var host = new TempHost();
        string directory = Path.Combine(host.Path, "theirs");
        Directory.CreateDirectory(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        Assert.Equal(PvRing.Platform.LinuxInterop.GetEffectiveUserId(), PvRing.Platform.LinuxInterop.GetOwnerUserId(directory));
        _ = new HostDirectory(directory); // ours: accepted

        if (PvRing.Platform.LinuxInterop.GetEffectiveUserId() != 0)
        {
            return; // only root can give a directory to another user; CI runs as root
        }

        // Another user (uid 4242) made the 0700 directory first: it could read or replace every file in it.
        using (ChildProcess chown = ChildProcess.Start("chown", "4242", directory))
        {
            chown.AssertExit(0, TimeSpan.FromSeconds(30));
        }

        var e = Assert.Throws<PvRingException>(() => new HostDirectory(directory));
        Assert.Contains("belongs to user 4242", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void OpenFile_SymbolicLinkFifoSocketOrMissing_ClearErrorsAndTheTargetUntouched()
    {
        using var host = new TempHost();
        string outside = Path.Combine(Path.GetTempPath(), $"pvring-outside-{Environment.ProcessId}");
        File.WriteAllBytes(outside, new byte[4096]);
        try
        {
            // A peer (the same user) plants a link at a name this process will map and write.
            File.CreateSymbolicLink(host.FilePath("arena-7"), outside);
            var link = Assert.Throws<PvRingException>(() => host.Host.OpenFile("arena-7"));
            Assert.Contains("symbolic link", link.Message, StringComparison.Ordinal);
            Assert.Equal(new byte[4096], File.ReadAllBytes(outside));
        }
        finally
        {
            File.Delete(outside);
        }

        using (ChildProcess mkfifo = ChildProcess.Start("mkfifo", host.FilePath("fifo")))
        {
            mkfifo.AssertExit(0, TimeSpan.FromSeconds(30));
        }

        var fifo = Assert.Throws<PvRingException>(() => host.Host.OpenFile("fifo"));
        Assert.Contains("not a regular file", fifo.Message, StringComparison.Ordinal);

        using (var socket = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.Unix, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Unspecified))
        {
            socket.Bind(new System.Net.Sockets.UnixDomainSocketEndPoint(host.FilePath("sock")));
            var bound = Assert.Throws<PvRingException>(() => host.Host.OpenFile("sock"));
            Assert.Contains("socket", bound.Message, StringComparison.Ordinal);
        }

        Assert.Throws<FileNotFoundException>(() => host.Host.OpenFile("missing"));
    }

    [Fact]
    public void CreateFile_Exists_ThrowsPvRingException()
    {
        using var host = new TempHost();
        using (host.Host.CreateFile("ring", 4096))
        {
        }

        Assert.Throws<PvRingException>(() => host.Host.CreateFile("ring", 4096));
    }

    [Theory]
    [InlineData(0L)]
    [InlineData(100L)]
    [InlineData(4097L)]
    public void CreateFile_NotWholePages_Throws(long length)
    {
        using var host = new TempHost();
        Assert.Throws<ArgumentOutOfRangeException>(() => host.Host.CreateFile("ring", length));
    }

    [Fact]
    public void OpenFile_SizeMismatch_ThrowsWithBothSizes()
    {
        using var host = new TempHost();
        using (host.Host.CreateFile("ring", 8192))
        {
        }

        var e = Assert.Throws<PvRingException>(() => host.Host.OpenFile("ring", 4096));
        Assert.Contains("length=8192", e.Message);
        Assert.Contains("expected=4096", e.Message);
    }

    [Fact]
    public void OpenFile_Missing_ThrowsFileNotFound()
    {
        using var host = new TempHost();
        Assert.Throws<FileNotFoundException>(() => host.Host.OpenFile("nothing"));
    }

    [Fact]
    public void Attach_FileNotPowerOfTwoPages_ThrowsPvRingException()
    {
        using var host = new TempHost();
        using (host.Host.CreateFile("odd", 3 * 4096))
        {
        }

        var e = Assert.Throws<PvRingException>(() => RingFile.Attach<NetifTxRequest, NetifTxResponse>(host.Host, "odd"));
        Assert.Contains("length=12288", e.Message);
    }

    [Fact]
    public void Dispose_FileBeforeRing_RingKeepsItsMapping()
    {
        using var host = new TempHost();
        SharedMemoryFile file = host.Host.CreateFile("ring", 4096);
        using var front = FrontRing<NetifTxRequest, NetifTxResponse>.Initialize(file, RingVariant.Classic(0));
        file.Dispose();

        front.ProduceRequest(new NetifTxRequest { Id = 1 });
        Assert.True(front.PushRequestsAndCheckNotify());
        Assert.Throws<ObjectDisposedException>(() => file.GetSpan(0, 1));
    }

    [Fact]
    public void RingFileCreate_NameTaken_ThrowsAndLeavesNoTemporary()
    {
        using var host = new TempHost();
        using (RingFile.Create<NetifTxRequest, NetifTxResponse>(host.Host, "ring", RingVariant.Classic(0)))
        {
        }

        Assert.Throws<PvRingException>(() => RingFile.Create<NetifTxRequest, NetifTxResponse>(host.Host, "ring", RingVariant.Classic(0)));
        Assert.Equal(new[] { "ring" }, Directory.GetFiles(host.Path).Select(Path.GetFileName));
    }
}
