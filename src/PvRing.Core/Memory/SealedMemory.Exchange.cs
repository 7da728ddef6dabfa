// Licensed under the MIT License. See LICENSE in the repository root.

using System.Buffers.Binary;
using System.Net.Sockets;
using System.Text;
using Microsoft.Win32.SafeHandles;
using PvRing.Platform;

namespace PvRing.Memory;

/// <summary>The exchange's wire and its peers: one connection per peer domain, one receiving thread each.</summary>
/// <remarks>
/// A message is a 24-byte header, then its text (a name, or a refusal's reason, UTF-8):
/// <code>
///  0  u32 magic "PVMF"      4  u8 version (1)   5  u8 type (1 hello, 2 welcome, 3 refuse, 4 offer)
///  6  u16 sender's domain   8  u32 text length (at most 1024)    12  u32 zero    16  u64 memory length (offer)
/// </code>
/// An offer carries exactly one descriptor (<c>SCM_RIGHTS</c>, with its first byte); every other message none. Any
/// other shape is a violation: the receiver answers with a refusal and ends the exchange.
/// </remarks>
public sealed partial class SealedMemory
{
    internal const uint Magic = 0x464D5650; // "PVMF" little-endian
    internal const byte Version = 1;
    internal const int HeaderSize = 24;
    internal const int MaxTextLength = 1024;
    internal const byte HelloType = 1;
    internal const byte WelcomeType = 2;
    internal const byte RefuseType = 3;
    internal const byte OfferType = 4;

    private const int PollSlice = 500;
    private const int MessageBound = 5000;

    /// <summary>Builds one message of the exchange (the tests' hostile peers send them raw too).</summary>
    internal static byte[] Encode(byte type, int domain, string text, long length)
    {
        byte[] bytes = Encoding.UTF8.GetBytes(text);
        if (bytes.Length > MaxTextLength)
        {
            Array.Resize(ref bytes, MaxTextLength);
        }

        var message = new byte[HeaderSize + bytes.Length];
        BinaryPrimitives.WriteUInt32LittleEndian(message, Magic);
        message[4] = Version;
        message[5] = type;
        BinaryPrimitives.WriteUInt16LittleEndian(message.AsSpan(6), (ushort)domain);
        BinaryPrimitives.WriteUInt32LittleEndian(message.AsSpan(8), (uint)bytes.Length);
        BinaryPrimitives.WriteInt64LittleEndian(message.AsSpan(16), length);
        bytes.CopyTo(message, HeaderSize);
        return message;
    }

    /// <summary>The process and user at the other end of a Unix socket (<c>SO_PEERCRED</c>), or (0, uint.MaxValue).</summary>
    internal static (int ProcessId, uint UserId) GetPeerCredentials(Socket socket)
    {
        Span<byte> credentials = stackalloc byte[12];
        try
        {
            int length = socket.GetRawSocketOption(1, 17, credentials); // SOL_SOCKET, SO_PEERCRED
            return length >= 12
                ? (BinaryPrimitives.ReadInt32LittleEndian(credentials), BinaryPrimitives.ReadUInt32LittleEndian(credentials[4..]))
                : (0, uint.MaxValue);
        }
        catch (SocketException)
        {
            return (0, uint.MaxValue);
        }
    }

    private async Task AcceptAsync(Socket listener, CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await listener.AcceptAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                if (cancellationToken.IsCancellationRequested || e is ObjectDisposedException)
                {
                    return;
                }

                // A failed accept (out of descriptors?) is retried, but not in a hot loop.
                await Task.Delay(50, CancellationToken.None).ConfigureAwait(false);
                continue;
            }

            var peer = new Peer(this, socket, domain: null);
            lock (_lock)
            {
                if (Volatile.Read(ref _disposed) != 0)
                {
                    socket.Dispose();
                    return;
                }

                _connecting.Add(peer);
            }

            peer.Start();
        }
    }

    private Peer StartConnected(Socket socket, int peerDomainId)
    {
        var peer = new Peer(this, socket, peerDomainId);
        lock (_lock)
        {
            _connecting.Add(peer);
        }

        if (!peer.Send(Encode(HelloType, LocalDomainId, string.Empty, 0), descriptor: -1))
        {
            peer.Close();
        }

        peer.Start();
        return peer;
    }

    /// <summary>The listener's check of a hello: an admitted domain, from the process that claimed it, not connected yet.</summary>
    private string? CheckHello(Message hello, Peer peer)
    {
        if (hello.Type != HelloType)
        {
            return $"the first message must be a hello: type={hello.Type}";
        }

        (int pid, uint uid) = GetPeerCredentials(peer.Socket);
        lock (_lock)
        {
            if (_peers.ContainsKey(hello.Domain))
            {
                return $"domain {hello.Domain} is connected already";
            }

            if (!_admitted.Remove(hello.Domain, out int admitted))
            {
                return $"domain {hello.Domain} was not admitted (claim the domain through the store first, and connect once)";
            }

            if (uid != LinuxInterop.GetEffectiveUserId())
            {
                return $"the peer runs as user {uid}, not {LinuxInterop.GetEffectiveUserId()}";
            }

            if (pid != admitted)
            {
                return $"process {pid} is not the one that claimed domain {hello.Domain} (process {admitted})";
            }
        }

        return null;
    }

    /// <summary>Checks one offer and keeps its descriptor; returns why it was refused, or null.</summary>
    private string? Accept(Message offer, int domain)
    {
        string name = offer.Text;
        if (offer.Domain != domain)
        {
            return $"the offer names domain {offer.Domain}, but this exchange is with domain {domain}: name={name}";
        }

        try
        {
            HostDirectory.ValidateName(name);
        }
        catch (ArgumentException e)
        {
            return e.Message;
        }

        if (!TryGetOwnerDomain(name, LocalDomainId, out int owner) || owner != domain)
        {
            return $"name={name} is not memory of domain {domain} (it may offer only arena-{domain}, gnttab-{domain}, evtchn-{domain} and gntflush-{domain}-{LocalDomainId}[-queue])";
        }

        string? reason = CheckDescriptor(offer.Descriptor, offer.Length);
        lock (_lock)
        {
            if (reason is null && _remote.ContainsKey(name))
            {
                reason = $"name={name} was offered twice";
            }

            if (reason is null && _remote.Values.Count(r => r.DomainId == domain) >= MaxNamesPerPeer)
            {
                reason = $"domain {domain} offered more than {MaxNamesPerPeer} names";
            }

            if (reason is not null)
            {
                if (!_remote.ContainsKey(name))
                {
                    // Opening the name fails at once with the reason, instead of waiting for a descriptor.
                    _remote[name] = new RemoteMemory(domain, null, 0, $"The descriptor was refused: {reason}.");
                }

                Monitor.PulseAll(_lock);
                return $"{reason}: name={name}";
            }

            _remote[name] = new RemoteMemory(domain, new SafeFileHandle(offer.TakeDescriptor(), ownsHandle: true), offer.Length, null);
            Monitor.PulseAll(_lock);
        }

        return null;
    }

    private void Run(Peer peer)
    {
        string why = "the peer closed it";
        try
        {
            if (peer.Domain is null)
            {
                using Message hello = peer.Read(MessageBound);
                string? refusal = CheckHello(hello, peer);
                if (refusal is not null)
                {
                    why = "refused: " + refusal;
                    peer.Send(Encode(RefuseType, LocalDomainId, refusal, 0), -1);
                    return;
                }

                peer.Domain = hello.Domain;
                lock (peer.SendLock)
                {
                    (string Name, LocalMemory Memory)[] published;
                    lock (_lock)
                    {
                        _connecting.Remove(peer);
                        _peers[hello.Domain] = peer;
                        _ended.Remove(hello.Domain);
                        published = [.. _local.Where(e => e.Value.Published && OfferedTo(e.Key, hello.Domain)).Select(e => (Scope(e.Key).Offered, e.Value))];
                    }

                    peer.SendLocked(Encode(WelcomeType, LocalDomainId, string.Empty, 0), -1);
                    foreach ((string name, LocalMemory memory) in published)
                    {
                        peer.SendOfferLocked(name, memory);
                    }
                }
            }
            else
            {
                using Message welcome = peer.Read(int.MaxValue);
                if (welcome.Type == RefuseType)
                {
                    why = "refused: " + welcome.Text;
                    return;
                }

                if (welcome.Type != WelcomeType || welcome.Domain != peer.Domain)
                {
                    why = $"the listener answered with type={welcome.Type}, domain={welcome.Domain}, not a welcome from domain {peer.Domain}";
                    return;
                }

                lock (_lock)
                {
                    _connecting.Remove(peer);
                    _peers[welcome.Domain] = peer;
                }

                peer.Welcomed.TrySetResult();
            }

            while (true)
            {
                using Message message = peer.Read(int.MaxValue);
                if (message.Type == RefuseType)
                {
                    why = "the peer refused: " + message.Text;
                    return;
                }

                string? refusal = message.Type == OfferType ? Accept(message, peer.Domain.Value) : $"unexpected message type={message.Type}";
                if (refusal is not null)
                {
                    why = "refused: " + refusal;
                    peer.Send(Encode(RefuseType, LocalDomainId, refusal, 0), -1);
                    return;
                }
            }
        }
        catch (PvRingException e)
        {
            why = e.Message;
            if (e is PvRingProtocolException)
            {
                peer.Send(Encode(RefuseType, LocalDomainId, e.Message, 0), -1);
            }
        }
        finally
        {
            peer.Finish();
            lock (_lock)
            {
                _connecting.Remove(peer);
                if (peer.Domain is int domain && _peers.TryGetValue(domain, out Peer? current) && current == peer)
                {
                    _peers.Remove(domain);
                    DropRemoteLocked(domain, why, keepRefusals: true);
                }
            }

            peer.Welcomed.TrySetException(new PvRingException($"The memory exchange ended: {why}."));
        }
    }

    /// <summary>One received message; owns the descriptor an offer carried until <see cref="TakeDescriptor"/>.</summary>
    private sealed class Message(byte type, ushort domain, string text, long length, int descriptor) : IDisposable
    {
        private int _descriptor = descriptor;

        public byte Type { get; } = type;

        public ushort Domain { get; } = domain;

        public string Text { get; } = text;

        public long Length { get; } = length;

        public int Descriptor => _descriptor;

        public int TakeDescriptor() => Interlocked.Exchange(ref _descriptor, -1);

        public void Dispose()
        {
            int fd = TakeDescriptor();
            if (fd >= 0)
            {
                _ = LinuxInterop.Close(fd);
            }
        }
    }

    /// <summary>One connection of the exchange.</summary>
    private sealed class Peer(SealedMemory owner, Socket socket, int? domain)
    {
        private Thread? _receiver;
        private bool _closed;

        public Socket Socket { get; } = socket;

        public object SendLock { get; } = new();

        public int? Domain { get; set; } = domain;

        public TaskCompletionSource Welcomed { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        private int Fd => (int)Socket.SafeHandle.DangerousGetHandle();

        public void Start()
        {
            _receiver = new Thread(() => owner.Run(this)) { IsBackground = true, Name = "PvRing memory exchange" };
            _receiver.Start();
        }

        public void Join() => _receiver?.Join(TimeSpan.FromSeconds(5));

        public bool Send(byte[] message, int descriptor)
        {
            lock (SendLock)
            {
                return SendLocked(message, descriptor);
            }
        }

        public bool SendLocked(byte[] message, int descriptor) =>
            !_closed && LinuxDescriptorPassing.Send(Fd, message, descriptor, MessageBound) == 0;

        public void SendOffer(string name, LocalMemory memory)
        {
            lock (SendLock)
            {
                SendOfferLocked(name, memory);
            }
        }

        public void SendOfferLocked(string name, LocalMemory memory)
        {
            bool added = false;
            memory.Handle.DangerousAddRef(ref added);
            try
            {
                _ = SendLocked(Encode(OfferType, owner.LocalDomainId, name, memory.Length), (int)memory.Handle.DangerousGetHandle());
            }
            finally
            {
                memory.Handle.DangerousRelease();
            }
        }

        /// <summary>Wakes the receiving thread (it sees the end of the stream) unless it has finished already.</summary>
        public void Close()
        {
            lock (SendLock)
            {
                if (!_closed)
                {
                    _closed = true;
                    LinuxDescriptorPassing.ShutDown(Fd);
                }
            }
        }

        /// <summary>Called by the receiving thread as it ends: nobody sends any more, and the socket closes.</summary>
        public void Finish()
        {
            lock (SendLock)
            {
                _closed = true;
            }

            Socket.Dispose();
        }

        /// <summary>
        /// Reads one whole message. The header may take <paramref name="firstByteTimeout"/> to start (the stream is idle
        /// between offers); the rest must follow within the message bound.
        /// </summary>
        public Message Read(int firstByteTimeout)
        {
            var descriptors = new List<int>();
            try
            {
                Span<byte> header = stackalloc byte[HeaderSize];
                ReadExactly(header, descriptors, firstByteTimeout);
                uint magic = BinaryPrimitives.ReadUInt32LittleEndian(header);
                byte version = header[4];
                byte type = header[5];
                ushort sender = BinaryPrimitives.ReadUInt16LittleEndian(header[6..]);
                uint textLength = BinaryPrimitives.ReadUInt32LittleEndian(header[8..]);
                uint reserved = BinaryPrimitives.ReadUInt32LittleEndian(header[12..]);
                long length = BinaryPrimitives.ReadInt64LittleEndian(header[16..]);
                if (magic != Magic || version != Version || reserved != 0 || textLength > MaxTextLength)
                {
                    throw new PvRingProtocolException($"Malformed memory exchange message: magic=0x{magic:X8}, version={version}, text-length={textLength}, reserved={reserved}.");
                }

                var text = new byte[textLength];
                ReadExactly(text, descriptors, MessageBound);
                int expected = type == OfferType ? 1 : 0;
                if (descriptors.Count != expected)
                {
                    throw new PvRingProtocolException($"A memory exchange message of type={type} carried descriptors={descriptors.Count}, expected={expected}.");
                }

                int fd = expected == 1 ? descriptors[0] : -1;
                descriptors.Clear();
                return new Message(type, sender, Encoding.UTF8.GetString(text), length, fd);
            }
            finally
            {
                foreach (int fd in descriptors)
                {
                    _ = LinuxInterop.Close(fd);
                }
            }
        }

        private void ReadExactly(Span<byte> buffer, List<int> descriptors, int timeout)
        {
            int filled = 0;
            long deadline = timeout == int.MaxValue ? long.MaxValue : Environment.TickCount64 + timeout;
            while (filled < buffer.Length)
            {
                if (Volatile.Read(ref owner._disposed) != 0)
                {
                    throw new PvRingException("the exchange was disposed");
                }

                long left = deadline - Environment.TickCount64;
                if (left <= 0)
                {
                    throw new PvRingProtocolException($"The memory exchange's peer stopped in the middle of a message or sent nothing in time: bytes={filled}, expected={buffer.Length}, timeout={timeout} ms.");
                }

                LinuxDescriptorPassing.ReceiveStatus status = LinuxDescriptorPassing.Receive(
                    Fd, buffer[filled..], descriptors, (int)Math.Min(left, PollSlice), out int count, out bool truncated, out int error);
                if (truncated)
                {
                    throw new PvRingProtocolException($"The memory exchange's peer sent more than {LinuxDescriptorPassing.MaxDescriptorsPerReceive} descriptors at once.");
                }

                switch (status)
                {
                    case LinuxDescriptorPassing.ReceiveStatus.Data:
                        filled += count;
                        break;
                    case LinuxDescriptorPassing.ReceiveStatus.Closed:
                        throw new PvRingException(filled == 0 && buffer.Length == HeaderSize ? "the peer closed it" : "the peer closed it in the middle of a message");
                    case LinuxDescriptorPassing.ReceiveStatus.Failed:
                        throw new PvRingException($"receiving failed: errno={error}");
                    default:
                        break;
                }
            }
        }
    }
}
