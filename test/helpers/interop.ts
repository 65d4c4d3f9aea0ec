// Shared pieces of the real-phone interop tests (toneguard between two baresip phones): the
// phones' microphone WAVs (a steady tone plus in-band DTMF at known times), tone presence in a
// recording (Goertzel), a dumpcap capture of loopback UDP and its RTP read back with tshark,
// and an HTTP client for the server's API with the bearer token.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { isDtmfDigit } from '../../native-free-dsp/dtmf-tones.js';
import { mixDtmf, mixSine, msToSamples, toInt16 } from '../../native-free-dsp/tone-generator.js';
import { hasCommand, writeWav } from './audio-files.js';

export const INTEROP_TOOLS = ['baresip', 'sox', 'multimon-ng', 'dumpcap', 'tshark'] as const;

/** The first interop tool missing on this machine, or undefined. */
export function missingInteropTool(): string | undefined {
  return INTEROP_TOOLS.find((name) => !hasCommand(name));
}

export interface InbandDigits {
  readonly digits: string;
  /** Start of the first tone, ms from the start of the file. */
  readonly atMs: number;
}

/**
 * A phone's microphone: a steady sine of `toneHz` at `toneDbm0` for `totalMs`, with DTMF tones
 * (120 ms each, 150 ms apart, -8 dBm0 low tone, 2 dB twist) mixed in at the given places.
 * 8 kHz mono 16-bit, as baresip's aufile source plays it for G.711.
 */
export function writeSourceWav(path: string, toneHz: number, toneDbm0: number, totalMs: number, digits: readonly InbandDigits[] = []): void {
  const mix = new Float64Array(msToSamples(totalMs));
  mixSine(mix, 0, mix.length, toneHz, toneDbm0);
  for (const group of digits) {
    let at = msToSamples(group.atMs);
    for (const digit of group.digits) {
      if (!isDtmfDigit(digit)) throw new Error(`not a DTMF key: ${digit}`);
      const end = mixDtmf(mix, at, { digit, durationMs: 120, lowDbm0: -8, twistDb: 2 });
      at = end + msToSamples(150);
    }
  }
  writeWav(path, toInt16(mix));
}

/**
 * Power of `hz` as a fraction of the signal's total power: Goertzel over 50 ms blocks (20 Hz
 * bins), so gaps and phase jumps in a recording (lost packets, clamped stretches) do not cancel it.
 */
export function toneShare(pcm: Int16Array, hz: number, sampleRate = 8000): number {
  const block = Math.round(sampleRate / 20);
  const coeff = 2 * Math.cos((2 * Math.PI * hz) / sampleRate);
  let tone = 0;
  let total = 0;
  for (let start = 0; start + block <= pcm.length; start += block) {
    let s1 = 0;
    let s2 = 0;
    for (let i = start; i < start + block; i++) {
      const x = pcm[i];
      total += x * x;
      const s0 = x + coeff * s1 - s2;
      s2 = s1;
      s1 = s0;
    }
    // A pure sine of amplitude A over N samples: Goertzel power (A N / 2)^2, energy A^2 N / 2.
    tone += (2 * (s1 * s1 + s2 * s2 - coeff * s1 * s2)) / block;
  }
  return total === 0 ? 0 : tone / total;
}

/** A dumpcap capture of loopback UDP running in the background. */
export class LoopbackCapture {
  private constructor(
    private readonly child: ChildProcess,
    readonly file: string,
    private readonly stderr: string[],
  ) {}

  /** Starts dumpcap with the BPF `filter` and waits until it reports that it captures. */
  static async start(file: string, filter: string): Promise<LoopbackCapture> {
    const child = spawn('dumpcap', ['-i', 'lo', '-f', filter, '-w', file], { stdio: ['ignore', 'ignore', 'pipe'] });
    const stderr: string[] = [];
    const capture = new LoopbackCapture(child, file, stderr);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`dumpcap did not start: ${stderr.join('')}`)), 10000);
      child.stderr?.on('data', (d: Buffer) => {
        stderr.push(d.toString());
        if (/Capturing on/.test(stderr.join(''))) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.once('exit', () => {
        clearTimeout(timer);
        reject(new Error(`dumpcap exited: ${stderr.join('')}`));
      });
    });
    // dumpcap prints "Capturing on" just before it opens the file; give it a moment.
    await new Promise((r) => setTimeout(r, 300));
    return capture;
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    // Let the kernel hand over the last packets before the capture ends.
    await new Promise((r) => setTimeout(r, 300));
    await new Promise<void>((resolve) => {
      this.child.once('exit', () => resolve());
      this.child.kill('SIGINT');
    });
    if (!existsSync(this.file) || statSync(this.file).size === 0) throw new Error(`dumpcap wrote nothing: ${this.stderr.join('')}`);
  }
}

export interface CapturedRtp {
  readonly timeEpochMs: number;
  readonly srcPort: number;
  readonly dstPort: number;
  readonly ssrc: number;
  readonly payloadType: number;
  readonly seq: number;
  readonly timestamp: number;
  /** RFC 4733 event code when tshark decoded the packet as a telephone-event, else undefined. */
  readonly event: number | undefined;
  /** Payload as lowercase hex (colon-free). */
  readonly payloadHex: string;
}

/**
 * The RTP packets of a capture, UDP on each of `ports` decoded as RTP, and payload type
 * `eventPt` as RFC 4733 telephone-events (tshark's rtpevent dissector).
 */
export function readRtp(file: string, ports: readonly number[], eventPt: number): CapturedRtp[] {
  const decode = ports.flatMap((p) => ['-d', `udp.port==${p},rtp`]);
  const fields = ['frame.time_epoch', 'udp.srcport', 'udp.dstport', 'rtp.ssrc', 'rtp.p_type', 'rtp.seq', 'rtp.timestamp', 'rtpevent.event_id', 'rtp.payload'];
  const result = spawnSync(
    'tshark',
    ['-n', '-r', file, ...decode, '-o', `rtpevent.event_payload_type_value:${eventPt}`, '-Y', 'rtp', '-T', 'fields', '-E', 'separator=;', ...fields.flatMap((f) => ['-e', f])],
    { encoding: 'utf8', maxBuffer: 256 << 20 },
  );
  if (result.status !== 0) throw new Error(`tshark failed: ${result.stderr || result.error?.message}`);
  const packets: CapturedRtp[] = [];
  for (const line of result.stdout.split('\n')) {
    if (line === '') continue;
    const [time, src, dst, ssrc, pt, seq, timestamp, event, payload] = line.split(';');
    packets.push({
      timeEpochMs: Number(time) * 1000,
      srcPort: Number(src),
      dstPort: Number(dst),
      ssrc: Number(ssrc),
      payloadType: Number(pt),
      seq: Number(seq),
      timestamp: Number(timestamp),
      event: event === '' || event === undefined ? undefined : Number(event),
      payloadHex: (payload ?? '').replace(/:/g, ''),
    });
  }
  return packets;
}

/** RFC 4733 event codes 0-15 as keys. */
export function eventDigit(code: number): string {
  return '0123456789*#ABCD'[code] ?? '?';
}

/** Keys of a telephone-event stream: one per event (RFC 4733 §2.5: all packets of one event share its RTP timestamp). */
export function eventDigits(packets: readonly CapturedRtp[]): string {
  const seen = new Set<string>();
  let out = '';
  for (const p of [...packets].sort((a, b) => a.timeEpochMs - b.timeEpochMs)) {
    if (p.event === undefined) continue;
    const key = `${p.ssrc}/${p.timestamp}/${p.event}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out += eventDigit(p.event);
  }
  return out;
}

export interface ApiClient {
  get(path: string): Promise<{ status: number; body: unknown }>;
  post(path: string): Promise<{ status: number; body: unknown }>;
  del(path: string): Promise<{ status: number; body: unknown }>;
}

export function apiClient(base: string, token: string): ApiClient {
  const call = async (method: string, path: string): Promise<{ status: number; body: unknown }> => {
    const response = await fetch(base + path, { method, headers: { authorization: `Bearer ${token}` } });
    const text = await response.text();
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {
      // not JSON: keep the text
    }
    return { status: response.status, body };
  };
  return { get: (p) => call('GET', p), post: (p) => call('POST', p), del: (p) => call('DELETE', p) };
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls `check` every 50 ms until it is true or `timeoutMs` passes. */
export async function until(check: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

/** UDP datagrams of a capture whose payload contains `hex` (lowercase, no separators): when and where to. */
export function udpWithPayload(file: string, hex: string): { timeEpochMs: number; dstPort: number }[] {
  const result = spawnSync('tshark', ['-n', '-r', file, '-T', 'fields', '-E', 'separator=;', '-e', 'frame.time_epoch', '-e', 'udp.dstport', '-e', 'udp.payload'], {
    encoding: 'utf8',
    maxBuffer: 256 << 20,
  });
  if (result.status !== 0) throw new Error(`tshark failed: ${result.stderr || result.error?.message}`);
  return result.stdout
    .split('\n')
    .filter((line) => line.replace(/:/g, '').toLowerCase().includes(hex))
    .map((line) => {
      const [time, port] = line.split(';');
      return { timeEpochMs: Number(time) * 1000, dstPort: Number(port) };
    });
}
