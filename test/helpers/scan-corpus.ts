// A corpus of recordings for `toneguard scan`: keyed card numbers among real speech and music,
// non-card digit runs, several containers and codecs (WAV PCM/mu-law/A-law, stereo, 16 kHz;
// pcap/pcapng with in-band PCMU/PCMA/Opus, RFC 4733 and SIP INFO), and files that cannot be
// read. Built deterministically into a directory; `truth` says what scan must find. The card
// numbers are the networks' published test numbers.
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { encodeAlaw, encodeUlaw } from '../../native-free-dsp/g711.js';
import { generateDtmfSequence, type DtmfSequenceItem } from '../../native-free-dsp/tone-generator.js';
import type { DtmfDigit } from '../../native-free-dsp/dtmf-tones.js';
import { encodePcap, encodePcapng, ethernetFrame, ipv4UdpPacket, type WrittenFrame } from '../../src/capture/capture-writer.js';
import { LINKTYPE_ETHERNET, LINKTYPE_RAW } from '../../src/capture/udp-decoder.js';
import { encodeWav } from '../../src/audio-file/wav-writer.js';
import { parseWav } from '../../src/audio-file/wav-parser.js';
import { createOpusCodec, opusEncode } from '../../src/media/codecs/opus-codec.js';
import { planDigitPackets } from '../../src/rtp/rfc4733.js';
import { serializeRtp } from '../../src/rtp/rtp-packet.js';
import { MUSIC_DIR, SPEECH_DIR } from './audio-files.js';

export interface ExpectedCard {
  readonly file: string;
  /** Substring of the stream name (`audio`, `channel 2`, a source port). */
  readonly stream: string;
  readonly cardType: string;
  readonly last4: string;
}

export interface ScanCorpus {
  readonly dir: string;
  readonly cards: readonly ExpectedCard[];
  /** Every card number in the corpus (for the check that no output ever holds one). */
  readonly secrets: readonly string[];
  /** Files that must be reported unreadable. */
  readonly unreadable: readonly string[];
  /** Non-card digit runs of 3+ digits, per file (what --min-digits 3 adds). */
  readonly shortRuns: readonly { readonly file: string; readonly count: number }[];
}

export const CARDS = {
  visa: '4111111111111111',
  mastercard: '5555555555554444',
  amex: '378282246310005',
  discover: '6011111111111117',
  jcb: '3530111333300000',
  visa2: '4012888888881881',
  visaDebit: '4000056655665556',
  mastercard2: '2223003122003222',
} as const;

const RATE = 8000;

/** A card keyed in groups of four with pauses, as callers do: 90 ms tones, 90 ms gaps, 1.2 s between groups. */
function keyed(number: string, lowDbm0 = -12, twistDb = 2): DtmfSequenceItem[] {
  return [...number].map((digit, i) => ({ digit: digit as DtmfDigit, durationMs: 90, gapBeforeMs: i === 0 ? 0 : i % 4 === 0 ? 1200 : 90, lowDbm0, twistDb }));
}

function speechFiles(): string[] {
  return readdirSync(SPEECH_DIR)
    .filter((f) => f.endsWith('.wav'))
    .sort()
    .map((f) => join(SPEECH_DIR, f));
}

/** `ms` of real speech: Asterisk prompts end to end, starting at prompt `first`. */
function speech(ms: number, first: number): Int16Array {
  const out = new Int16Array(Math.round((ms * RATE) / 1000));
  const files = speechFiles();
  let at = 0;
  for (let i = first; at < out.length; i++) {
    const audio = parseWav(readFileSync(files[i % files.length]));
    if (audio.sampleRate !== RATE) continue;
    const take = audio.samples.subarray(0, Math.min(audio.samples.length, out.length - at));
    out.set(take, at);
    at += take.length;
  }
  return out;
}

function music(ms: number): Int16Array {
  const file = readdirSync(MUSIC_DIR)
    .filter((f) => f.endsWith('.wav'))
    .sort()[0];
  const audio = parseWav(readFileSync(join(MUSIC_DIR, file)));
  return audio.samples.slice(0, Math.round((ms * RATE) / 1000));
}

/** `base` with `tones` added at `atMs` (saturating). */
function mix(base: Int16Array, tones: Int16Array, atMs: number): Int16Array {
  const out = base.slice();
  const at = Math.round((atMs * RATE) / 1000);
  for (let i = 0; i < tones.length && at + i < out.length; i++) out[at + i] = Math.max(-32768, Math.min(32767, out[at + i] + tones[i]));
  return out;
}

function concat(...parts: Int16Array[]): Int16Array {
  const out = new Int16Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function upsample2(pcm: Int16Array): Int16Array {
  const out = new Int16Array(pcm.length * 2);
  for (let i = 0; i < pcm.length; i++) {
    const next = i + 1 < pcm.length ? pcm[i + 1] : pcm[i];
    out[2 * i] = pcm[i];
    out[2 * i + 1] = (pcm[i] + next) >> 1;
  }
  return out;
}

const tones = (number: string, lowDbm0?: number): Int16Array => generateDtmfSequence(keyed(number, lowDbm0), 0, RATE);

interface RtpOptions {
  readonly codec: 'PCMU' | 'PCMA' | 'opus';
  readonly pcm: Int16Array;
  /** RFC 4733 digits instead of in-band: the audio carries none. */
  readonly events?: { readonly digit: DtmfDigit; readonly atMs: number }[];
  readonly srcPort: number;
}

/** One RTP stream's UDP payloads with their send times (ms from 0). */
function rtpStream(o: RtpOptions): { atMs: number; payload: Uint8Array }[] {
  const out: { atMs: number; payload: Uint8Array }[] = [];
  const pt = o.codec === 'PCMU' ? 0 : o.codec === 'PCMA' ? 8 : 111;
  const clock = o.codec === 'opus' ? 6 : 1; // RTP clock ticks per 8 kHz sample (Opus runs a 48 kHz clock)
  const opus = o.codec === 'opus' ? createOpusCodec(1, 8000) : undefined;
  let seq = 100;
  const ssrc = 0x5ca10000 + o.srcPort;
  const events = [...(o.events ?? [])];
  for (let offset = 0; offset + 160 <= o.pcm.length; offset += 160) {
    const frame = o.pcm.subarray(offset, offset + 160);
    let payload: Uint8Array;
    if (opus !== undefined) payload = opusEncode(opus, frame);
    else {
      payload = new Uint8Array(160);
      (o.codec === 'PCMU' ? encodeUlaw : encodeAlaw)(frame, payload);
    }
    const atMs = offset / 8;
    out.push({ atMs, payload: serializeRtp({ payloadType: pt, marker: offset === 0, sequence: seq++ & 0xffff, timestamp: (offset * clock) >>> 0, ssrc, payload }) });
    while (events.length > 0 && events[0].atMs <= atMs) {
      const e = events.shift();
      if (e === undefined) break;
      const start = Math.round(e.atMs * 8);
      for (const [i, p] of planDigitPackets(e.digit, (start * clock) >>> 0, 720 * clock, 160 * clock).entries()) {
        out.push({ atMs: e.atMs + i * 20, payload: serializeRtp({ payloadType: 101, marker: p.marker, sequence: seq++ & 0xffff, timestamp: p.timestamp, ssrc, payload: p.payload }) });
      }
    }
  }
  return out.sort((a, b) => a.atMs - b.atMs);
}

function sdpInvite(codec: 'PCMU' | 'PCMA' | 'opus', port: number): Uint8Array {
  const rtpmap = codec === 'opus' ? '111' : codec === 'PCMU' ? '0' : '8';
  const sdp = [
    'v=0',
    'o=- 1 1 IN IP4 10.0.0.1',
    's=-',
    'c=IN IP4 10.0.0.1',
    't=0 0',
    `m=audio ${port} RTP/AVP ${rtpmap} 101`,
    codec === 'opus' ? 'a=rtpmap:111 opus/48000/2' : `a=rtpmap:${rtpmap} ${codec}/8000`,
    'a=rtpmap:101 telephone-event/8000',
    '',
  ].join('\r\n');
  const msg = [
    'INVITE sip:pay@10.0.0.2 SIP/2.0',
    'Via: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bKscan1',
    'From: <sip:c@10.0.0.1>;tag=a',
    'To: <sip:pay@10.0.0.2>',
    'Call-ID: scan-corpus-1',
    'CSeq: 1 INVITE',
    'Contact: <sip:c@10.0.0.1>',
    'Content-Type: application/sdp',
    `Content-Length: ${Buffer.byteLength(sdp)}`,
    '',
    sdp,
  ].join('\r\n');
  return new TextEncoder().encode(msg);
}

function sipInfo(digit: string, cseq: number): Uint8Array {
  const body = `Signal=${digit}\r\nDuration=160\r\n`;
  return new TextEncoder().encode(
    [
      'INFO sip:pay@10.0.0.2 SIP/2.0',
      `Via: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bKinfo${cseq}`,
      'From: <sip:c@10.0.0.1>;tag=a',
      'To: <sip:pay@10.0.0.2>;tag=b',
      'Call-ID: scan-corpus-1',
      `CSeq: ${cseq} INFO`,
      'Content-Type: application/dtmf-relay',
      `Content-Length: ${body.length}`,
      '',
      body,
    ].join('\r\n'),
  );
}

function capture(datagrams: { atMs: number; srcPort: number; dstPort: number; payload: Uint8Array }[], format: 'pcap' | 'pcapng'): Uint8Array {
  const t0 = Date.UTC(2026, 0, 2, 10, 0, 0);
  const frames: WrittenFrame[] = datagrams
    .sort((a, b) => a.atMs - b.atMs)
    .map((d, i) => {
      const ip = ipv4UdpPacket('10.0.0.1', d.srcPort, '10.0.0.2', d.dstPort, d.payload, i & 0xffff);
      return { timeMs: t0 + d.atMs, data: format === 'pcap' ? ip : ethernetFrame(ip) };
    });
  return format === 'pcap' ? encodePcap(frames, { linkType: LINKTYPE_RAW }) : encodePcapng(frames, { interfaces: [{ linkType: LINKTYPE_ETHERNET }] });
}

const wav = (pcm: Int16Array | Int16Array[], encoding: 'pcm16' | 'ulaw' | 'alaw', sampleRate = RATE): Uint8Array => encodeWav(pcm, { sampleRate, encoding });

/** Writes the corpus into `dir` (created) and returns what scan must find there. */
export function buildScanCorpus(dir: string): ScanCorpus {
  mkdirSync(join(dir, 'calls', '2025'), { recursive: true });
  mkdirSync(join(dir, 'captures'), { recursive: true });
  const cards: ExpectedCard[] = [];
  const put = (name: string, bytes: Uint8Array): string => {
    writeFileSync(join(dir, name), bytes);
    return join(dir, name);
  };

  // 1. mu-law WAV: agent talking, then a Visa keyed between two prompts.
  const visa = tones(CARDS.visa);
  let f = put('calls/2025/visa-ulaw.wav', wav(concat(speech(8000, 0), visa, speech(6000, 20)), 'ulaw'));
  cards.push({ file: f, stream: 'audio', cardType: 'visa', last4: '1111' });

  // 2. Stereo 16 kHz PCM: agent on channel 1 (speech), caller on channel 2 keying a Mastercard
  //    over music on hold; the agent's channel has none.
  const mc = mix(music(30_000), tones(CARDS.mastercard, -8), 4000);
  f = put('calls/2025/stereo-16k.wav', wav([upsample2(speech(30_000, 40)), upsample2(mc)], 'pcm16', 16_000));
  cards.push({ file: f, stream: 'channel 2', cardType: 'mastercard', last4: '4444' });

  // 3. A-law WAV: an Amex (15 digits) mixed over speech at a modest level.
  f = put('calls/amex-alaw.wav', wav(mix(speech(30_000, 60), tones(CARDS.amex, -10), 3000), 'alaw'));
  cards.push({ file: f, stream: 'audio', cardType: 'american-express', last4: '0005' });

  // 4. Non-card digits: a phone number, an account number, a PIN (1234, which reads as an expiry), a 16-digit number that fails
  //    Luhn (4111...1112), and a keyed "menu" choice: no card findings; 5 runs of 3+ digits.
  const nonCard = ['07700900123', '12345678', '1234', '4111111111111112', '0512'];
  const parts: Int16Array[] = [];
  for (const [i, run] of nonCard.entries()) parts.push(speech(4000, 80 + i * 3), generateDtmfSequence(keyed(run), 0, RATE), new Int16Array(RATE * 8));
  f = put('calls/not-cards.wav', wav(concat(...parts), 'pcm16'));
  const shortRuns = [{ file: f, count: nonCard.length }];

  // 5. Speech only, music only.
  put('calls/speech-only.wav', wav(speech(60_000, 100), 'ulaw'));
  put('calls/music-only.wav', wav(music(60_000), 'pcm16'));

  // 6. pcap, PCMU, RFC 4733 events (audio silent): a Visa; SDP in the capture names the PTs.
  const visa2Events = [...CARDS.visa2].map((digit, i) => ({ digit: digit as DtmfDigit, atMs: 2000 + i * 250 + Math.floor(i / 4) * 1000 }));
  const pcmuSilence = speech(12_000, 130).fill(0);
  const rfc4733 = rtpStream({ codec: 'PCMU', pcm: pcmuSilence, events: visa2Events, srcPort: 40000 });
  f = put(
    'captures/rfc4733-pcmu.pcap',
    capture([{ atMs: 0, srcPort: 5060, dstPort: 5060, payload: sdpInvite('PCMU', 40000) }, ...rfc4733.map((p) => ({ ...p, atMs: p.atMs + 50, srcPort: 40000, dstPort: 30000 }))], 'pcap'),
  );
  cards.push({ file: f, stream: '10.0.0.1:40000', cardType: 'visa', last4: '1881' });

  // 7. pcapng, PCMA in-band over speech: a Discover; a second stream (the agent) carries speech only.
  const discover = rtpStream({ codec: 'PCMA', pcm: mix(speech(40_000, 150), tones(CARDS.discover, -6), 5000), srcPort: 40002 });
  const agent = rtpStream({ codec: 'PCMA', pcm: speech(40_000, 170), srcPort: 40004 });
  f = put('captures/inband-pcma.pcapng', capture([...discover.map((p) => ({ ...p, srcPort: 40002, dstPort: 30002 })), ...agent.map((p) => ({ ...p, srcPort: 40004, dstPort: 30004 }))], 'pcapng'));
  cards.push({ file: f, stream: '10.0.0.1:40002', cardType: 'discover', last4: '1117' });

  // 8. pcap, SIP INFO only: a JCB keyed as INFO requests beside a PCMU stream of speech.
  const infoStream = rtpStream({ codec: 'PCMU', pcm: speech(12_000, 190), srcPort: 40006 });
  const infos = [...CARDS.jcb].map((digit, i) => ({ atMs: 1000 + i * 300, srcPort: 5060, dstPort: 5060, payload: sipInfo(digit, 2 + i) }));
  f = put(
    'captures/sip-info.pcap',
    capture([{ atMs: 0, srcPort: 5060, dstPort: 5060, payload: sdpInvite('PCMU', 40006) }, ...infos, ...infoStream.map((p) => ({ ...p, atMs: p.atMs + 20, srcPort: 40006, dstPort: 30006 }))], 'pcap'),
  );
  cards.push({ file: f, stream: '', cardType: 'jcb', last4: '0000' });

  // 9. pcapng, Opus in-band: a Visa debit card.
  const opusCard = rtpStream({ codec: 'opus', pcm: mix(speech(25_000, 210), tones(CARDS.visaDebit, -8), 3000), srcPort: 40008 });
  f = put(
    'captures/opus.pcapng',
    capture([{ atMs: 0, srcPort: 5060, dstPort: 5060, payload: sdpInvite('opus', 40008) }, ...opusCard.map((p) => ({ ...p, atMs: p.atMs + 20, srcPort: 40008, dstPort: 30008 }))], 'pcapng'),
  );
  cards.push({ file: f, stream: '10.0.0.1:40008', cardType: 'visa', last4: '5556' });

  // 10. Two cards in one recording (a second attempt after a decline), raw mu-law with --format only.
  f = put('calls/two-attempts.wav', wav(concat(speech(3000, 230), tones(CARDS.mastercard2), speech(9000, 240), tones(CARDS.visa)), 'pcm16'));
  cards.push({ file: f, stream: 'audio', cardType: 'mastercard', last4: '3222' });
  cards.push({ file: f, stream: 'audio', cardType: 'visa', last4: '1111' });

  // 11. Unreadable: a truncated WAV, a text file named .pcap.
  const truncated = wav(speech(2000, 250), 'pcm16').subarray(0, 30);
  const bad = [put('calls/truncated.wav', truncated), put('captures/not-a-capture.pcap', new TextEncoder().encode('this is not a capture\n'))];

  return { dir, cards, secrets: Object.values(CARDS), unreadable: bad, shortRuns };
}
