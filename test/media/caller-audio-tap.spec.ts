// The caller's audio as the speech recogniser gets it (CallerAudioTap): G.711 decoded byte for
// byte, G.722's lower band (0-4 kHz at 8 kHz) from a decoder of the tap's own, nothing for Opus or
// for another payload type, nothing once the sink is gone, and no audio left in its buffers.
import t from 'tap';
import { G722Encoder } from '../../native-free-dsp/g722.js';
import { decodeAlaw, decodeUlaw, encodeAlaw, encodeUlaw } from '../../native-free-dsp/g711.js';
import type { LegMediaConfig } from '../../src/media/media-session.js';
import { CallerAudioTap } from '../../src/media/relay/caller-audio-tap.js';

function leg(codec: LegMediaConfig['codec'], payloadType: number): LegMediaConfig {
  return { remote: null, codec, payloadType, clockRate: codec === 'opus' ? 48000 : 8000, eventPayloadType: 101, ptimeMs: 20, direction: 'sendrecv', srtp: null };
}

/** A packet: 12 header bytes (not read by the tap) then the payload. */
function packet(payload: Uint8Array): Uint8Array {
  const p = new Uint8Array(12 + payload.length);
  p.set(payload, 12);
  return p;
}

function sine(hz: number, rate: number, samples: number, amplitude: number, from = 0): Int16Array {
  const out = new Int16Array(samples);
  for (let i = 0; i < samples; i++) out[i] = Math.round(amplitude * Math.sin((2 * Math.PI * hz * (from + i)) / rate));
  return out;
}

/** Magnitude of the DFT at `hz` over the samples, normalised to a sine's amplitude. */
function amplitudeAt(x: Int16Array, hz: number, rate: number): number {
  let re = 0;
  let im = 0;
  for (let i = 0; i < x.length; i++) {
    re += x[i] * Math.cos((2 * Math.PI * hz * i) / rate);
    im -= x[i] * Math.sin((2 * Math.PI * hz * i) / rate);
  }
  return (2 * Math.hypot(re, im)) / x.length;
}

t.test('G.711: each packet decoded byte for byte, one reused view handed over', async (t) => {
  for (const [codec, encode, decode] of [
    ['PCMU', encodeUlaw, decodeUlaw],
    ['PCMA', encodeAlaw, decodeAlaw],
  ] as const) {
    const tap = new CallerAudioTap();
    const frames: Int16Array[] = [];
    const views = new Set<Int16Array>();
    tap.setSink((pcm) => {
      views.add(pcm);
      frames.push(pcm.slice());
    });
    const pt = codec === 'PCMU' ? 0 : 8;
    const codes = new Uint8Array(160);
    encode(sine(700, 8000, 160, 8000), codes);
    const expected = new Int16Array(160);
    decode(codes, expected);
    tap.push(packet(codes), pt, 12, 172, leg(codec, pt));
    tap.push(packet(codes), pt, 12, 172, leg(codec, pt));
    t.equal(frames.length, 2, `${codec}: one frame per packet`);
    t.same(frames[0], expected, `${codec}: the decoded samples`);
    t.equal(views.size, 1, `${codec}: the same view each time`);
  }
});

t.test("G.722: the lower band of a wideband stream, at 8 kHz, from the tap's own decoder", async (t) => {
  const tap = new CallerAudioTap();
  const heard: number[] = [];
  tap.setSink((pcm) => heard.push(...pcm));
  const encoder = new G722Encoder();
  const payload = new Uint8Array(160);
  for (let f = 0; f < 25; f++) {
    // 20 ms of 16 kHz audio: an 800 Hz tone (lower band) and a 6 kHz tone (upper band).
    const low = sine(800, 16000, 320, 6000, f * 320);
    const high = sine(6000, 16000, 320, 6000, f * 320);
    const pcm = new Int16Array(320);
    for (let i = 0; i < 320; i++) pcm[i] = low[i] + high[i];
    encoder.encode(pcm, payload);
    tap.push(packet(payload), 9, 12, 172, leg('G722', 9));
  }
  t.equal(heard.length, 25 * 160, '160 samples per 20 ms packet (8 kHz)');
  const settled = Int16Array.from(heard.slice(1600)); // past the codec's start-up
  const tone = amplitudeAt(settled, 800, 8000);
  // The 6 kHz tone is outside the band: after the split it would alias to 2 kHz.
  const alias = amplitudeAt(settled, 2000, 8000);
  t.ok(tone > 4000 && tone < 8000, `the 800 Hz tone at about its level (${tone.toFixed(0)})`);
  t.ok(alias < tone / 20, `the upper band's tone is not in it (${alias.toFixed(0)})`);
});

t.test('nothing for Opus, for another payload type, for an empty payload, or without a sink; the buffers are cleared', async (t) => {
  const tap = new CallerAudioTap();
  let calls = 0;
  let last: Int16Array | null = null;
  const codes = new Uint8Array(160).fill(0x8f);
  tap.push(packet(codes), 0, 12, 172, leg('PCMU', 0));
  t.equal(calls, 0, 'no sink yet: nothing decoded');
  t.notOk(tap.active);
  tap.setSink((pcm) => {
    calls++;
    last = pcm;
  });
  t.ok(tap.active);
  tap.push(packet(codes), 111, 12, 172, leg('opus', 111));
  tap.push(packet(codes), 101, 12, 172, leg('PCMU', 0));
  tap.push(packet(codes), 0, 12, 12, leg('PCMU', 0));
  t.equal(calls, 0, 'Opus, an event PT and an empty payload give nothing');
  tap.push(packet(codes), 0, 12, 172, leg('PCMU', 0));
  t.equal(calls, 1);
  const view = last as unknown as Int16Array;
  t.ok(
    view.some((s) => s !== 0),
    'audio in the view',
  );
  tap.setSink(null);
  t.ok(
    view.every((s) => s === 0),
    'sink gone: the buffer is zeroed',
  );
  tap.push(packet(codes), 0, 12, 172, leg('PCMU', 0));
  t.equal(calls, 1, 'nothing after the sink went');
  tap.setSink(() => calls++);
  tap.push(packet(codes), 0, 12, 172, leg('PCMU', 0));
  tap.close();
  t.ok(
    view.every((s) => s === 0),
    'closed: zeroed',
  );
  t.notOk(tap.active);
});
