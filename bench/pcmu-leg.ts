// The plain G.711 leg the load bench configures towards its generator, and the tests towards
// their UDP peers: one definition (a small module, so tests load nothing else of the bench).
import type { LegMediaConfig } from '../src/media/media-session.js';

/** A plain PCMU leg towards `address`:`port`: G.711 u-law, 20 ms, RFC 4733 events on 101, sendrecv, no SRTP. */
export function pcmuLegConfig(port: number, address: string): LegMediaConfig {
  return {
    remote: { address, rtpPort: port, rtcpPort: port + 1 },
    codec: 'PCMU',
    payloadType: 0,
    clockRate: 8000,
    eventPayloadType: 101,
    ptimeMs: 20,
    direction: 'sendrecv',
    srtp: null,
  };
}
