// The RFC 4733 digits a stream carries, read by the receiver of src/rtp straight from its event
// packets (arrival order, timestamps extended): the expectation for what a clamp stage reports,
// independent of the stage and of replay's merging with other sources.
import { createRfc4733Decoder, rfc4733Flush, rfc4733Rx } from '../../src/rtp/rfc4733.js';
import { createSequenceTracker, trackPacket } from '../../src/rtp/sequence-tracker.js';
import { parsed } from './rtp-streams.js';

export function rfc4733DigitsOf(packets: readonly { readonly bytes: Uint8Array; readonly timeMs: number }[], eventPt: number): string {
  const digits: string[] = [];
  const decoder = createRfc4733Decoder((d) => digits.push(d.digit));
  const tracker = createSequenceTracker();
  for (const p of packets) {
    const rtp = parsed(p.bytes);
    if (trackPacket(tracker, rtp.sequence, rtp.timestamp) === 'duplicate') continue;
    if (rtp.payloadType === eventPt) rfc4733Rx(decoder, tracker.lastExtTs, rtp.marker, rtp.payload, p.timeMs);
  }
  rfc4733Flush(decoder);
  return digits.join('');
}
