// Licensed under the MIT License. See LICENSE in the repository root.

using System.Buffers.Binary;
using System.Text;

namespace PvRing.Store;

/// <summary>
/// The message framing of <c>io/xs_wire.h</c>: a 16-byte header <c>struct xsd_sockmsg</c> followed by
/// <c>len</c> payload bytes, made of nul-terminated strings.
/// <code>
///  0       4        8       12      16
///  | type  | req_id | tx_id | len   | payload (len &lt;= 4096) ...
/// </code>
/// All fields are native-endian u32 (little-endian on every platform PvRing runs on).
/// </summary>
internal static class XenStoreWire
{
    public const int HeaderSize = 16;
    public const int TypeOffset = 0;
    public const int RequestIdOffset = 4;
    public const int TransactionIdOffset = 8;
    public const int LengthOffset = 12;

    public static readonly byte[] OkPayload = "OK\0"u8.ToArray();

    public static byte[] Message(XenStoreMessageType type, uint requestId, uint transactionId, ReadOnlySpan<byte> payload)
    {
        byte[] message = new byte[HeaderSize + payload.Length];
        WriteHeader(message, type, requestId, transactionId, payload.Length);
        payload.CopyTo(message.AsSpan(HeaderSize));
        return message;
    }

    public static void WriteHeader(Span<byte> header, XenStoreMessageType type, uint requestId, uint transactionId, int length)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(header[TypeOffset..], (uint)type);
        BinaryPrimitives.WriteUInt32LittleEndian(header[RequestIdOffset..], requestId);
        BinaryPrimitives.WriteUInt32LittleEndian(header[TransactionIdOffset..], transactionId);
        BinaryPrimitives.WriteUInt32LittleEndian(header[LengthOffset..], (uint)length);
    }

    public static (uint Type, uint RequestId, uint TransactionId, uint Length) ReadHeader(ReadOnlySpan<byte> header) => (
        BinaryPrimitives.ReadUInt32LittleEndian(header[TypeOffset..]),
        BinaryPrimitives.ReadUInt32LittleEndian(header[RequestIdOffset..]),
        BinaryPrimitives.ReadUInt32LittleEndian(header[TransactionIdOffset..]),
        BinaryPrimitives.ReadUInt32LittleEndian(header[LengthOffset..]));

    /// <summary>Encodes strings, each followed by a nul.</summary>
    public static byte[] Strings(params ReadOnlySpan<string> parts)
    {
        int length = 0;
        foreach (string part in parts)
        {
            length += Encoding.UTF8.GetByteCount(part) + 1;
        }

        byte[] payload = new byte[length];
        int offset = 0;
        foreach (string part in parts)
        {
            offset += Encoding.UTF8.GetBytes(part, payload.AsSpan(offset));
            payload[offset++] = 0;
        }

        return payload;
    }

    /// <summary>
    /// Splits a payload into its nul-terminated strings. A final string without its nul is accepted
    /// (xenstored tolerates it for the last argument); an empty payload gives no strings.
    /// </summary>
    public static List<string> SplitStrings(ReadOnlySpan<byte> payload)
    {
        var parts = new List<string>();
        while (!payload.IsEmpty)
        {
            int nul = payload.IndexOf((byte)0);
            if (nul < 0)
            {
                parts.Add(Encoding.UTF8.GetString(payload));
                break;
            }

            parts.Add(Encoding.UTF8.GetString(payload[..nul]));
            payload = payload[(nul + 1)..];
        }

        return parts;
    }
}
