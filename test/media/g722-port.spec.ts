// The G.722 codec port and the G.722 prompt encoder: clocks and frame sizes (RFC 3551 §4.5.2),
// a round trip through the port, size errors as -1 (never a throw), and prompts at 8 kHz coming
// out of a G.722 decoder at 16 kHz as the same tone, n bytes per n-sample frame.
import t from 'tap';
import { G722Decoder } from '../../native-free-dsp/g722.js';
import type { CodecPort } from '../../src/media/codecs/codec-port.js';
import { createG722Port, G722_PAYLOAD_TYPE } from '../../src/media/codecs/g722-port.js';
import { createPromptEncoder } from '../../src/media/prompts/prompt-encoder.js';

function tone(rate: number, hz: number, n: number, amplitude = 8000): Int16Array {
  const out = new Int16Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.round(amplitude * Math.sin((2 * Math.PI * hz * i) / rate));
  return out;
}

/** Amplitude of `hz` in `pcm` over [from, to) (single-bin DFT). */
function amplitudeAt(pcm: Int16Array, rate: number, hz: number, from: number, to: number): number {
  let re = 0,
    im = 0;
  for (let i = from; i < to; i++) {
    re += pcm[i] * Math.cos((2 * Math.PI * hz * i) / rate);
    im += pcm[i] * Math.sin((2 * Math.PI * hz * i) / rate);
  }
  return (2 * Math.hypot(re, im)) / (to - from);
}

t.test('port: the RFC 3551 clock quirk and frame sizes', async (t) => {
  const port: CodecPort = createG722Port();
  t.equal(port.name, 'G722');
  t.equal(port.rtpClockRate, 8000, 'RTP clock 8000 (G722/8000)');
  t.equal(port.sampleRate, 16_000, 'PCM at 16 kHz');
  t.equal(port.samplesPerFrame(20), 320, '20 ms = 320 samples = 160 payload bytes = 160 RTP ticks');
  t.equal(G722_PAYLOAD_TYPE, 9);
});

t.test('port: round trip of 20 ms frames, sizes refused with -1', async (t) => {
  const sender = createG722Port();
  const receiver = createG722Port();
  const pcm = tone(16_000, 1000, 16_000);
  const payload = new Uint8Array(160);
  const out = new Int16Array(16_000);
  const frame = new Int16Array(320);
  for (let f = 0; f < 50; f++) {
    if (sender.encode(pcm.subarray(f * 320, (f + 1) * 320), payload) !== 160) t.fail(`frame ${f} did not encode to 160 bytes`);
    if (receiver.decode(payload, frame) !== 320) t.fail(`frame ${f} did not decode to 320 samples`);
    out.set(frame, f * 320);
  }
  t.pass('50 frames of 320 samples encoded to 160 bytes and decoded back');
  const a = amplitudeAt(out, 16_000, 1000, 4000, 16_000 - 320);
  t.ok(Math.abs(a - 8000) < 400, `the 1 kHz tone comes back at amplitude ${a.toFixed(0)} (sent 8000)`);
  t.equal(sender.encode(new Int16Array(321), payload), -1, 'odd sample count: -1');
  t.equal(sender.encode(new Int16Array(640), payload), -1, 'payload buffer too small: -1');
  t.equal(receiver.decode(new Uint8Array(200), frame), -1, 'PCM buffer too small: -1');
  receiver.reset();
  const fresh = new G722Decoder();
  const ref = new Int16Array(320);
  fresh.decode(payload, ref);
  receiver.decode(payload, frame);
  t.same(frame, ref, 'reset() forgets the stream');
});

t.test('G.722 prompt encoder: 8 kHz prompt, n bytes per frame, the same tone at 16 kHz', async (t) => {
  const encoder = createPromptEncoder('G722', 960);
  t.equal(encoder.codec, 'G722');
  const prompt = tone(8000, 700, 8000);
  const decoder = new G722Decoder();
  const heard = new Int16Array(16_000);
  const payload = new Uint8Array(960);
  const pcm = new Int16Array(2 * 960);
  for (let f = 0; f < 50; f++) {
    encoder.encode(prompt.subarray(f * 160, (f + 1) * 160), payload, 160);
    decoder.decode(payload.subarray(0, 160), pcm, 160);
    heard.set(pcm.subarray(0, 320), f * 320);
  }
  const a = amplitudeAt(heard, 16_000, 700, 2000, 15_000);
  t.ok(Math.abs(a - 8000) < 500, `700 Hz prompt tone heard at amplitude ${a.toFixed(0)} (played 8000)`);
  const image = amplitudeAt(heard, 16_000, 8000 - 700, 2000, 15_000);
  t.ok(image < 80, `no image at 7.3 kHz from the upsampling (${image.toFixed(1)})`);
  const g711 = createPromptEncoder('PCMU', 960);
  const ulaw = new Uint8Array(160);
  g711.encode(prompt, ulaw, 160);
  t.equal(g711.codec, 'PCMU', 'G.711 legs keep their byte-per-sample encoder');
});
