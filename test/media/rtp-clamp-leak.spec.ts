// A gateway that leaks in-band tone around its RFC 4733 events (the first 10-40 ms before the
// first event packet, a tail after the end): the stage widens each event into a clamp window
// [start - lead, end + hangover) and the audio clamp mutes it inside its lookahead. With the
// placeholder clamp: the leaked tone is gone, our detector finds nothing, and the voice outside
// the window comes out bit-identical, delayed by exactly the lookahead.
import t from 'tap';
import { detectDtmf } from '../../native-free-dsp/dtmf-detector.js';
import { ULAW_SILENCE, encodeUlaw } from '../../native-free-dsp/g711.js';
import { mixDtmf, mixSine, toInt16 } from '../../native-free-dsp/tone-generator.js';
import { SilenceDelayClamp } from '../../src/media/clamp/audio-clamp.js';
import { ClampStage } from '../../src/media/clamp/clamp-stage.js';
import { buildStream, checkStream, decodeByTimestamp, parsed, FRAME } from '../helpers/rtp-streams.js';

const LOOKAHEAD = 320; // 40 ms
const HANGOVER = 320;
const EVENT_AT = 40 * FRAME; // samples from the stream start: 800 ms
const EVENT_SAMPLES = 1600; // 200 ms
const LEAK_BEFORE = 240; // 30 ms of tone in the audio before the first event packet
const LEAK_AFTER = 240; // 30 ms tail after the end

/** Voice (a 310 Hz sine at -20 dBm0) for 2 s, with the tone leaking around the event span. */
function source(): Int16Array {
  const mix = new Float64Array(100 * FRAME);
  mixSine(mix, 0, mix.length, 310, -20);
  mixDtmf(mix, EVENT_AT - LEAK_BEFORE, { digit: '8', durationMs: (LEAK_BEFORE + EVENT_SAMPLES + LEAK_AFTER) / 8, lowDbm0: -8 });
  return toInt16(mix);
}

function stream(pcm: Int16Array) {
  return buildStream({
    pcm,
    segments: [
      { kind: 'audio', frames: 40 },
      { kind: 'digit', digit: '8', samples: EVENT_SAMPLES },
      { kind: 'audio', frames: 50 },
    ],
  });
}

function runStage(withClamp: boolean): Uint8Array[] {
  const out: Uint8Array[] = [];
  const stage = new ClampStage({
    codec: 'PCMU',
    secure: true,
    hangoverSamples: HANGOVER,
    audioClamp: withClamp ? new SilenceDelayClamp('PCMU', LOOKAHEAD) : undefined,
    send: (p) => out.push(p.slice()),
  });
  for (const p of stream(source())) stage.push(p.bytes.slice(), p.atMs);
  stage.close();
  return out;
}

t.test('without the audio clamp the leaked tone reaches the agent (the control)', async (t) => {
  const pcm = decodeByTimestamp(runStage(false));
  const leak = pcm.subarray(EVENT_AT - LEAK_BEFORE, EVENT_AT);
  const ref = source().subarray(EVENT_AT - LEAK_BEFORE, EVENT_AT);
  let energyLeak = 0;
  for (let i = 0; i < leak.length; i++) energyLeak += Math.abs(leak[i] - 0);
  t.ok(energyLeak > 1000 * leak.length, 'loud tone before the event in the output');
  t.ok(Math.abs(leak[100] - ref[100]) < 300, 'it is the input');
});

t.test('with the clamp: the window around the event is silence; the rest is the voice, delayed by the lookahead', async (t) => {
  const out = runStage(true);
  const c = checkStream(out);
  t.same(c.seqBreaks, []);
  t.same(c.tsBreaks, []);
  t.equal(c.eventPackets, 0);
  // Output code at ts T is the input code of T - LOOKAHEAD, or silence inside the window.
  const codes = new Uint8Array(c.samples);
  let at = 0;
  for (const b of out) {
    const p = parsed(b).payload;
    codes.set(p, at);
    at += p.length;
  }
  const inputCodes = new Uint8Array(source().length);
  encodeUlaw(source(), inputCodes);
  const winFrom = EVENT_AT - LOOKAHEAD;
  const winTo = EVENT_AT + EVENT_SAMPLES + HANGOVER;
  let leaked = 0;
  let changed = 0;
  for (let ts = LOOKAHEAD; ts < codes.length; ts++) {
    const src = ts - LOOKAHEAD;
    if (src >= winFrom && src < winTo) {
      if (codes[ts] !== ULAW_SILENCE) leaked++;
    } else if (src < EVENT_AT || src >= EVENT_AT + EVENT_SAMPLES) {
      if (codes[ts] !== inputCodes[src]) changed++;
    }
  }
  t.equal(leaked, 0, 'not one sample of the window reaches the agent');
  t.equal(changed, 0, 'voice outside the window bit-identical after removing the lookahead delay');
  t.same(detectDtmf(decodeByTimestamp(out)), [], 'our detector finds no digit in the output');
  t.ok(
    detectDtmf(source()).some((d) => d.digit === '8'),
    'while it finds the tone in the source',
  );
});
