// The codec ports the clamp reaches audio through: PCMU/PCMA sample-aligned and stateless, Opus
// with its 48 kHz RTP clock, TOC durations, padding of odd frame lengths, corrupt payloads as -1.
import t from 'tap';
import { decodeUlaw, encodeUlaw } from '../../native-free-dsp/g711.js';
import { createCodecPort } from '../../src/media/codecs/create-codec-port.js';
import { OpusPort } from '../../src/media/codecs/opus-port.js';

function tone(n: number, hz = 440, amp = 8000, rate = 8000): Int16Array {
  return Int16Array.from({ length: n }, (_, i) => Math.round(amp * Math.sin((2 * Math.PI * hz * i) / rate)));
}

t.test('G.711 ports: one byte per sample, the reference codec, bounds checked', async (t) => {
  for (const name of ['PCMU', 'PCMA'] as const) {
    const port = createCodecPort(name);
    t.same([port.rtpClockRate, port.sampleRate, port.sampleAligned, port.samplesPerFrame(20)], [8000, 8000, true, 160], name);
    const pcm = tone(160);
    const bytes = new Uint8Array(160);
    t.equal(port.encode(pcm, bytes), 160);
    t.equal(port.payloadRtpSamples(bytes), 160);
    const back = new Int16Array(160);
    t.equal(port.decode(bytes, back), 160);
    if (name === 'PCMU') {
      const ref = new Uint8Array(160);
      encodeUlaw(pcm, ref);
      t.same(bytes, ref, "PCMU bytes are the reference encoder's");
      const refPcm = new Int16Array(160);
      decodeUlaw(ref, refPcm);
      t.same(back, refPcm);
    }
    t.equal(port.decode(new Uint8Array(200), new Int16Array(100)), -1, `${name}: does not fit`);
    t.equal(port.encode(new Int16Array(200), new Uint8Array(100)), -1);
  }
});

t.test('Opus port: 48 kHz clock, duration from the TOC, any length up to 120 ms, corrupt payloads', async (t) => {
  const port = new OpusPort();
  t.same([port.rtpClockRate, port.sampleRate, port.sampleAligned, port.samplesPerFrame(20)], [48000, 8000, false, 160]);
  const out = new Uint8Array(1500);
  for (const n of [160, 100, 480, 960]) {
    const bytes = port.encode(tone(n), out);
    t.ok(bytes > 0, `${n} samples encoded (${bytes} bytes)`);
    const padded = n === 100 ? 160 : n;
    t.equal(port.payloadRtpSamples(out.subarray(0, bytes)), padded * 6, `${n} samples: ${padded * 6} RTP units (a short frame padded to the next Opus size)`);
  }
  const bytes = port.encode(tone(160), out);
  const pcm = new Int16Array(960);
  t.equal(port.decode(out.subarray(0, bytes), pcm), 160);
  t.equal(port.encode(new Int16Array(961), out), -1, 'over 120 ms refused');
  t.equal(port.payloadRtpSamples(new Uint8Array(0)), -1, 'no TOC');
  const errors = port.decodeErrors;
  t.equal(port.decode(new Uint8Array([0xff, 0xff, 0xff]), pcm), -1, 'corrupt payload: -1, no throw');
  t.equal(port.decodeErrors, errors + 1);
  port.reset();
});
