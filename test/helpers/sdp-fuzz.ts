// Generated and mutated SDP for call-control fuzzing: a seeded PRNG (mulberry32, so a failure
// replays from its seed) and SDP bodies that mix what real phones send with what a hostile peer
// could: ptime/maxptime out of range, codecs at odd payload types and clock rates, fmtp, several
// m= lines, ports 0/1/65535, IPv4/IPv6/host-name/multicast c= lines, directions, SRTP crypto
// lines with good and broken keys, and lines that are not SDP at all.
export class Prng {
  private state: number;
  constructor(readonly seed: number) {
    this.state = seed >>> 0;
  }

  /** [0, 1) */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let x = this.state;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  }

  /** Integer in [lo, hi]. */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)];
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  /** Bytes from the PRNG (reproducible, unlike crypto). */
  bytes(n: number): Buffer {
    const b = Buffer.alloc(n);
    for (let i = 0; i < n; i++) b[i] = this.int(0, 255);
    return b;
  }
}

const ADDRESSES = ['127.0.0.1', '127.0.0.1', '127.0.0.1', '127.0.0.1', '0.0.0.0', '::1', '::', 'host.invalid', '224.2.1.1', '239.1.1.1/127', 'ff02::1', '255.255.255.255', '10.255.255.1', '1.2.3', ''];
const PROTOCOLS = ['RTP/AVP', 'RTP/AVP', 'RTP/AVP', 'RTP/AVP', 'RTP/SAVP', 'RTP/SAVP', 'RTP/AVPF', 'RTP/SAVPF', 'UDP/TLS/RTP/SAVPF', 'udp', 'TCP/RTP/AVP', 'RTP/avp'];
const CODECS: readonly (readonly [number, string])[] = [
  [0, 'PCMU/8000'],
  [0, 'PCMU/8000'],
  [8, 'PCMA/8000'],
  [8, 'PCMA/8000'],
  [96, 'opus/48000/2'],
  [111, 'opus/48000/2'],
  [101, 'telephone-event/8000'],
  [101, 'telephone-event/8000'],
  [100, 'telephone-event/48000'],
  [9, 'G722/8000'],
  [18, 'G729/8000'],
  [70, 'PCMU/8000'],
  [72, 'PCMA/8000'],
  [77, 'opus/48000/2'],
  [127, 'telephone-event/8000'],
  [97, 'PCMU/16000'],
  [98, 'opus/48000'],
  [13, 'CN/8000'],
  [0, 'telephone-event/8000'],
  [101, 'PCMU/8000'],
  [64, 'telephone-event/8000'],
  [95, 'telephone-event/8000'],
  [8, 'PCMA/8000/2'],
  [120, 'pcmu/8000'],
  [121, 'OPUS/48000/2'],
  [122, 'telephone-event/0'],
  [123, 'PCMA/4294967296'],
];
const PTIMES = ['1', '5', '10', '20', '20', '20', '30', '60', '120', '121', '200', '0', '1000', '2.5', 'abc', '-5', '1e9', '9.99', '120.5'];
const DIRECTIONS = ['a=sendrecv', 'a=sendonly', 'a=recvonly', 'a=inactive', ''];
const SUITES = ['AES_CM_128_HMAC_SHA1_80', 'AES_CM_128_HMAC_SHA1_80', 'AES_CM_128_HMAC_SHA1_80', 'AES_CM_128_HMAC_SHA1_32', 'AEAD_AES_256_GCM', 'F8_128_HMAC_SHA1_80'];
const FMTPS = ['0-16', '0-15', 'useinbandfec=1', 'maxplaybackrate=0;stereo=1', '', ';;;;', 'annexb=no', '0-255,300-9999', 'x'.repeat(300)];
const GARBAGE = [
  'a=',
  'm=',
  'c=IN',
  'c=IN IP4',
  'a=rtpmap:abc',
  'a=rtpmap:101',
  'a=fmtp:101',
  'a=rtcp:0',
  'a=rtcp:65536',
  'a=rtcp:1',
  'a=rtcp:65535',
  'a=rtcp:9 IN IP6 ::1',
  'a=maxptime:1',
  'a=maxptime:500',
  'a=maxptime:',
  'a=rtpmap:96 opus/48000/2/2',
  'b=AS:64',
  'b=TIAS:-1',
  'x=y',
  'a=crypto:',
  'a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:',
  'a=ptime:',
  'a=rtcp-mux',
  'a=setup:actpass',
  'a=fingerprint:sha-256 00',
  'a=ice-ufrag:x',
  'a=candidate:1 1 UDP 1 127.0.0.1 1 typ host',
  '\u0000\u0001\u0002',
  'é€ñ',
  'a=mid:0',
  'a=group:BUNDLE 0 1',
  'k=clear:x',
  'v=1',
  'o=',
  't=',
  'r=',
  'z=0 0',
  'a=rtpmap:0 PCMU/8000',
  'a=sendrecv',
  'a=inactive',
  'line without equals',
];

function cryptoLine(rng: Prng, tag: number): string {
  let key: string;
  const kind = rng.int(0, 5);
  if (kind <= 2) key = rng.bytes(30).toString('base64');
  else if (kind === 3) key = rng.bytes(rng.pick([0, 1, 29, 31, 46])).toString('base64');
  else if (kind === 4) key = 'A'.repeat(rng.pick([40, 41, 43]));
  else key = `${rng.bytes(30).toString('base64').slice(0, 38)}==junk`;
  const suffix = rng.pick(['', '', '|2^20|1:4', '|2^31', '|0|999:99']);
  return `a=crypto:${rng.pick([tag, 0, -1, 999999])} ${rng.pick(SUITES)} inline:${key}${suffix}`;
}

function connection(address: string): string {
  const family = address.includes(':') ? 'IP6' : 'IP4';
  return `c=IN ${family} ${address}`;
}

export interface SdpGenOptions {
  /** The usual media port (peers listen nowhere: RTP to it is dropped by the kernel). */
  readonly port: number;
}

/** One m= section. */
function mediaSection(rng: Prng, options: SdpGenOptions): string[] {
  const media = rng.pick(['audio', 'audio', 'audio', 'audio', 'video', 'application', 'image', 'text', 'AUDIO']);
  const port = String(rng.pick([options.port, options.port, options.port, options.port, 0, 1, 65535, 65534, 9, 70000, -1, 'x', '5000/2']));
  const codecs = Array.from({ length: rng.int(0, 5) }, () => rng.pick(CODECS));
  const formats = codecs.map(([pt]) => String(pt));
  if (rng.chance(0.05)) formats.push(rng.pick(['abc', '256', '-1', '']));
  const lines = [`m=${media} ${port} ${rng.pick(PROTOCOLS)} ${formats.join(' ')}`.trimEnd()];
  if (rng.chance(0.3)) lines.push(connection(rng.pick(ADDRESSES)));
  for (const [pt, name] of codecs) {
    if (pt < 96 && rng.chance(0.3)) continue; // static types may go without rtpmap
    lines.push(`a=rtpmap:${pt} ${name}`);
    if (rng.chance(0.3)) lines.push(`a=fmtp:${pt} ${rng.pick(FMTPS)}`);
  }
  if (rng.chance(0.6)) lines.push(`a=ptime:${rng.pick(PTIMES)}`);
  if (rng.chance(0.2)) lines.push(`a=maxptime:${rng.pick(PTIMES)}`);
  const direction = rng.pick(DIRECTIONS);
  if (direction !== '') lines.push(direction);
  for (let i = rng.chance(0.3) ? rng.int(1, 3) : 0; i > 0; i--) lines.push(cryptoLine(rng, i));
  if (rng.chance(0.1)) lines.push(`a=rtcp:${rng.pick([options.port + 1, 1, 65535, 0, 70000])}`);
  for (let i = rng.chance(0.2) ? rng.int(1, 3) : 0; i > 0; i--) lines.splice(rng.int(1, lines.length), 0, rng.pick(GARBAGE));
  return lines;
}

/** A generated SDP body (usually well formed, often not something we can carry). */
export function randomSdp(rng: Prng, options: SdpGenOptions): string {
  const lines = ['v=0'];
  if (rng.chance(0.9)) lines.push(`o=fuzz ${rng.int(0, 2 ** 31)} ${rng.int(0, 9)} IN IP4 127.0.0.1`);
  lines.push('s=-');
  if (rng.chance(0.85)) lines.push(connection(rng.pick(ADDRESSES)));
  lines.push('t=0 0');
  if (rng.chance(0.2)) lines.push(rng.pick(DIRECTIONS) || 'a=sendrecv');
  const sections = rng.pick([1, 1, 1, 1, 2, 2, 3, 0]);
  for (let i = 0; i < sections; i++) lines.push(...mediaSection(rng, options));
  return `${lines.join(rng.chance(0.9) ? '\r\n' : '\n')}\r\n`;
}

/** An ordinary offer or answer toneguard can carry: PCMU/PCMA/telephone-event, a normal ptime. */
export function plainSdp(rng: Prng, options: SdpGenOptions): string {
  const codecs = rng.pick(['0 8 101', '8 0 101', '0 101', '8', '96 0 101', '0']);
  return `${[
    'v=0',
    `o=plain ${rng.int(0, 2 ** 31)} 1 IN IP4 127.0.0.1`,
    's=-',
    'c=IN IP4 127.0.0.1',
    't=0 0',
    `m=audio ${options.port} RTP/AVP ${codecs}`,
    'a=rtpmap:0 PCMU/8000',
    'a=rtpmap:8 PCMA/8000',
    'a=rtpmap:96 opus/48000/2',
    'a=rtpmap:101 telephone-event/8000',
    'a=fmtp:101 0-16',
    `a=ptime:${rng.pick([10, 20, 20, 30, 40, 60])}`,
    rng.pick(['a=sendrecv', 'a=sendrecv', 'a=sendonly', 'a=recvonly', 'a=inactive']),
  ].join('\r\n')}\r\n`;
}

/** `body` with a few random edits: lines dropped, doubled, swapped, numbers changed, truncated. */
export function mutateSdp(rng: Prng, body: string): string {
  let lines = body.split(/\r?\n/);
  for (let ops = rng.int(1, 4); ops > 0; ops--) {
    const i = rng.int(0, Math.max(0, lines.length - 1));
    switch (rng.int(0, 6)) {
      case 0:
        lines.splice(i, 1);
        break;
      case 1:
        lines.splice(i, 0, lines[i] ?? '');
        break;
      case 2: {
        const j = rng.int(0, Math.max(0, lines.length - 1));
        [lines[i], lines[j]] = [lines[j], lines[i]];
        break;
      }
      case 3:
        lines[i] = (lines[i] ?? '').replace(/\d+/, String(rng.pick([0, 1, 5, 64, 72, 127, 128, 65535, 65536, 4294967296, -1])));
        break;
      case 4:
        lines.splice(i, 0, rng.pick(GARBAGE));
        break;
      case 5:
        lines = lines.join('\r\n').slice(0, rng.int(0, body.length)).split('\r\n');
        break;
      default:
        lines[i] = (lines[i] ?? '').toUpperCase();
    }
  }
  return `${lines.join('\r\n')}\r\n`;
}

/** A body that is not SDP at all. */
export function garbageBody(rng: Prng): string {
  return rng.pick(['', 'hello', '{"sdp":1}', 'v=0', '\r\n\r\n', rng.bytes(rng.int(1, 200)).toString('latin1'), 'm=audio\r\n', 'o=x\r\n']);
}
