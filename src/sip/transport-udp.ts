// The UDP transport (RFC 3261 §18.1.1, §18.2.1): one socket, one datagram one message. CRLF
// keep-alives (RFC 5626 §3.5.1) and empty datagrams are dropped here; everything else goes up as
// bytes with its source address and port (responses go back there, RFC 3581 rport).
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { isIPv6 } from 'node:net';
import { SipTransportError } from './sip-error.js';
import type { Destination } from './transaction.js';

export class UdpTransport {
  private readonly socket: UdpSocket;

  /** Creates the socket (bind() listens); it is the caller's to close() even when bind() fails. */
  constructor(address: string, onDatagram: (bytes: Buffer, source: Destination) => void, onError: (err: Error) => void) {
    this.socket = createSocket({ type: isIPv6(address) ? 'udp6' : 'udp4' });
    this.socket.on('message', (msg, rinfo) => {
      // Keep-alive (RFC 5626 §3.5.1: CRLF CRLF) and empty datagrams are nothing.
      if (msg.length <= 4 && msg.every((b) => b === 0x0d || b === 0x0a)) return;
      onDatagram(msg, { transport: 'udp', address: rinfo.address, port: rinfo.port });
    });
    this.socket.on('error', onError);
  }

  /** Binds to address:port (0: ephemeral); resolves with the bound port. */
  async bind(address: string, port: number): Promise<number> {
    const udp = this.socket;
    await new Promise<void>((resolve, reject) => {
      udp.once('error', reject);
      udp.bind(port, address, () => {
        udp.off('error', reject);
        resolve();
      });
    });
    // A burst (a scan, a flood) should not push good requests out of the socket buffer; the
    // kernel caps this at net.core.rmem_max.
    try {
      udp.setRecvBufferSize(4 * 1024 * 1024);
    } catch {
      // keep the default
    }
    return udp.address().port;
  }

  /** Sends one datagram; an asynchronous failure calls onError. Throws what the socket API throws synchronously. */
  send(bytes: Buffer, destination: Destination, onError?: (err: Error) => void): void {
    this.socket.send(bytes, destination.port, destination.address, (err) => {
      if (err !== null && err !== undefined) onError?.(new SipTransportError('SIP_TRANSPORT', `udp send: ${err.message}`));
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      try {
        this.socket.close(() => resolve());
      } catch {
        resolve();
      }
    });
  }
}
