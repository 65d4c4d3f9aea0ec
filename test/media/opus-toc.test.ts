// Opus packet durations from the TOC (RFC 6716 §3.1), checked against libopus's own encoder output.
import t from 'tap';
import { createOpusCodec, opusEncode } from '../../src/media/opus-codec.js';
import { opusPacketSamples48 } from '../../src/media/opus-toc.js';

t.test('durations of libopus packets, every frame size', async (t) => {
  const codec = createOpusCodec(1, 48000);
  for (const samples of [120, 240, 480, 960, 1920, 2880]) {
    const pcm = new Int16Array(samples);
    for (let i = 0; i < samples; i++) pcm[i] = Math.round(8000 * Math.sin((2 * Math.PI * 440 * i) / 48000));
    t.equal(opusPacketSamples48(opusEncode(codec, pcm)), samples, `${samples / 48} ms`);
  }
});

t.test('TOC codes and bad packets', async (t) => {
  t.equal(opusPacketSamples48(new Uint8Array([(1 << 3) | 0])), 960, 'SILK 20 ms, one frame');
  t.equal(opusPacketSamples48(new Uint8Array([(1 << 3) | 1, 0])), 1920, 'code 1: two frames');
  t.equal(opusPacketSamples48(new Uint8Array([(31 << 3) | 2, 0])), 1920, 'code 2: two CELT 20 ms frames');
  t.equal(opusPacketSamples48(new Uint8Array([(16 << 3) | 3, 5])), 600, 'code 3: five 2.5 ms frames');
  t.equal(opusPacketSamples48(new Uint8Array([(3 << 3) | 3, 3])), undefined, 'code 3: over 120 ms');
  t.equal(opusPacketSamples48(new Uint8Array([(16 << 3) | 3, 0])), undefined, 'code 3: zero frames');
  t.equal(opusPacketSamples48(new Uint8Array([(16 << 3) | 3])), undefined, 'code 3 without its count byte');
  t.equal(opusPacketSamples48(new Uint8Array(0)), undefined, 'empty');
});
