// verify's agent end places each audio packet by its RTP timestamp from an anchor packet's
// arrival. When the anchor itself was held back (a loaded relay or host), the packets after it
// arrive earlier than it predicts: the recording moves to the least-delayed packets' timeline,
// so the keys stay in their windows.
import t from 'tap';
import { linearToUlaw, ulawToLinear } from '../../native-free-dsp/g711.js';
import { serializeRtp } from '../../src/rtp/rtp-packet.js';
import { AgentRecording } from '../../src/verify/verify-agent.js';

const FRAME = 160;

/** Packet k carries a constant level of its own, so where it landed can be read back. */
function level(k: number): number {
  return ulawToLinear(linearToUlaw(500 + 300 * (k % 20)));
}

function packet(k: number): Uint8Array {
  return serializeRtp({ payloadType: 0, marker: k === 0, sequence: k, timestamp: k * FRAME, ssrc: 0x1234, payload: new Uint8Array(FRAME).fill(linearToUlaw(level(k))) });
}

/** Plays packets 0..count-1; `arrivalMs(k)` is when packet k reaches the agent (20 ms apart on time). */
function record(count: number, arrivalMs: (k: number) => number): Int16Array {
  let now = 0;
  const rec = new AgentRecording(count * 20, () => now);
  rec.startedAt = 0;
  const order = Array.from({ length: count }, (_, k) => k).sort((a, b) => arrivalMs(a) - arrivalMs(b) || a - b);
  for (const k of order) {
    now = arrivalMs(k);
    rec.onRtp(packet(k), 101);
  }
  return rec.capture().pcm;
}

/** Packets whose first sample is not where its timestamp puts it on the on-time timeline. */
function misplaced(pcm: Int16Array, count: number): number[] {
  const out: number[] = [];
  for (let k = 0; k < count; k++) if (pcm[k * FRAME] !== level(k) || pcm[k * FRAME + FRAME - 1] !== level(k)) out.push(k);
  return out;
}

const onTime = (k: number): number => 20 * (k + 1);

t.test('packets on time land where their timestamps put them', async (t) => {
  t.same(misplaced(record(100, onTime), 100), []);
});

t.test('a first packet held back 300 ms, with the 14 after it: the call lands on the on-time timeline', async (t) => {
  const pcm = record(100, (k) => (k < 15 ? 320 : onTime(k)));
  t.same(misplaced(pcm, 100), []);
  // Nothing is left where the late anchor had put the call's end.
  t.equal(
    pcm.subarray(100 * FRAME).some((v) => v !== 0),
    false,
  );
});

t.test('jitter under 20 ms moves nothing; a packet late by a second re-anchors as before', async (t) => {
  // Every other packet 15 ms late: the anchor (on time) stands.
  t.same(
    misplaced(
      record(100, (k) => onTime(k) + (k % 2) * 15),
      100,
    ),
    [],
  );
  // The anchor 10 ms late and the rest on time: under the 20 ms threshold, the call stays 10 ms late.
  const pcm = record(100, (k) => (k === 0 ? onTime(0) + 10 : onTime(k)));
  t.equal(pcm[80 + 5 * FRAME], level(5), 'packet 5 sits 80 samples (10 ms) late');
});
