// Opus packet durations from the TOC (RFC 6716 §3.1), checked against libopus's own encoder output.
import t from 'tap';
import { createOpusCodec, opusDecode, opusEncode } from '../../src/media/codecs/opus-codec.js';
import { joinOpusPackets, opusPacketFrames, opusPacketSamples48 } from '../../src/media/codecs/opus-toc.js';

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

t.test('frames of a packet, and packets joined into one that libopus decodes', async (t) => {
  const enc = createOpusCodec(1, 48000);
  const dec = createOpusCodec(1, 48000);
  const tone = (n: number, hz: number): Int16Array => Int16Array.from({ length: n }, (_, i) => Math.round(6000 * Math.sin((2 * Math.PI * hz * i) / 48000)));
  const parts = [0, 1, 2].map((k) => opusEncode(enc, tone(960, 500 + 100 * k)));
  const joined = joinOpusPackets(parts);
  t.ok(joined !== undefined, 'three 20 ms packets of one configuration join');
  if (joined === undefined) return;
  t.equal(opusPacketSamples48(joined), 2880, '60 ms');
  t.equal(opusDecode(dec, joined)?.length, 2880, 'libopus decodes the joined packet to 60 ms');
  const frames = opusPacketFrames(joined);
  t.same(
    frames?.map((f) => f.length),
    parts.map((p) => p.length - 1),
    'its frames are the parts without their TOC',
  );
  const sixty = opusEncode(enc, tone(2880, 700)); // CELT: three 20 ms frames in one code 3 packet
  t.equal(opusPacketFrames(sixty)?.length, sixty[0] >> 3 >= 16 ? 3 : 1, '60 ms: three CELT frames or one SILK frame');
  const two = joinOpusPackets([sixty, opusEncode(enc, tone(2880, 800))]);
  if (two !== undefined) t.equal(opusDecode(dec, two)?.length, 5760, '2 x 60 ms: 120 ms');
  t.equal(joinOpusPackets([parts[0], new Uint8Array([0x08])]), undefined, 'different configurations do not join');
  t.equal(opusPacketFrames(new Uint8Array([0x01, 1, 2, 3])), undefined, 'code 1 with an odd body is malformed');
  t.equal(opusPacketFrames(new Uint8Array([0x03, 0xc2, 255])), undefined, 'code 3 padding past the end is malformed');
});

t.test('opusEncode refuses sizes libopus cannot encode (node-opus would abort the process)', async (t) => {
  const codec = createOpusCodec(1, 48000);
  t.throws(() => opusEncode(codec, new Int16Array(3840)), RangeError, '80 ms');
  t.throws(() => opusEncode(codec, new Int16Array(1000)), RangeError, 'not a frame size');
  t.equal(opusEncode(createOpusCodec(1, 8000), new Int16Array(160)).length > 0, true, '20 ms at 8 kHz');
});
