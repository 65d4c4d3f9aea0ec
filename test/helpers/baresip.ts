// A real SIP phone for interop tests: Debian's baresip 1.0, scripted over its ctrl_tcp module
// (netstring-framed JSON, TOOLS.md). Each phone has its own config directory, SIP port, RTP
// port range and control port; it plays a WAV as its microphone, and with `record` set the
// sndfile module writes what it received as DIR/dump-*-dec.wav.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';

export interface BaresipOptions {
  readonly name: string;
  readonly dir: string;
  readonly sipPort: number;
  readonly ctrlPort: number;
  /** "A-B", even A. */
  readonly rtpPorts: string;
  /** 8 kHz mono WAV for G.711, 16 kHz mono for G.722, 48 kHz stereo for Opus. */
  readonly sourceWav: string;
  /** e.g. PCMU, PCMA, G722/16000/1 (baresip names G.722 by its audio rate), opus/48000/2. */
  readonly codecs: string;
  /** Write received audio to dir/rec/dump-*-dec.wav. */
  readonly record?: boolean;
  /** SDES-SRTP mandatory (RTP/SAVP with a=crypto). */
  readonly srtp?: boolean;
}

export interface BaresipEvent {
  readonly type: string;
  readonly [key: string]: unknown;
}

function netstring(json: string): string {
  return `${Buffer.byteLength(json)}:${json},`;
}

export class BaresipPhone {
  readonly options: BaresipOptions;
  readonly events: BaresipEvent[] = [];
  readonly log: string[] = [];
  private readonly child: ChildProcess;
  private socket: Socket | undefined;
  private buffered = Buffer.alloc(0);
  private readonly waiters: { test: (e: BaresipEvent) => boolean; resolve: (e: BaresipEvent) => void }[] = [];
  private readonly responses: ((r: Record<string, unknown>) => void)[] = [];
  private exited = false;

  private constructor(options: BaresipOptions, child: ChildProcess) {
    this.options = options;
    this.child = child;
    child.stdout?.on('data', (d: Buffer) => this.log.push(d.toString()));
    child.stderr?.on('data', (d: Buffer) => this.log.push(d.toString()));
    child.on('exit', () => {
      this.exited = true;
    });
  }

  get recordDir(): string {
    return join(this.options.dir, 'rec');
  }

  static async start(options: BaresipOptions): Promise<BaresipPhone> {
    mkdirSync(options.dir, { recursive: true });
    // srtp before account: accounts look their mediaenc up when they are loaded.
    const modules = ['g711.so', 'g722.so', 'opus.so', 'aufile.so', 'aubridge.so', ...(options.srtp ? ['srtp.so'] : []), 'account.so', 'menu.so', 'ctrl_tcp.so'];
    if (options.record) modules.push('sndfile.so');
    const config = [
      'poll_method epoll',
      `sip_listen 127.0.0.1:${options.sipPort}`,
      'net_interface 127.0.0.1',
      'audio_player aubridge,nil',
      `audio_source aufile,${options.sourceWav}`,
      'audio_alert aubridge,nil',
      `rtp_ports ${options.rtpPorts}`,
      'module_path /usr/lib/baresip/modules',
      ...modules.map((m) => `module ${m}`),
      `ctrl_tcp_listen 127.0.0.1:${options.ctrlPort}`,
      ...(options.record ? [`snd_path ${join(options.dir, 'rec')}`] : []),
    ];
    if (options.record) mkdirSync(join(options.dir, 'rec'), { recursive: true });
    writeFileSync(join(options.dir, 'config'), config.join('\n') + '\n');
    const enc = options.srtp ? ';mediaenc=srtp-mand' : '';
    writeFileSync(join(options.dir, 'accounts'), `<sip:${options.name}@127.0.0.1:${options.sipPort}>;regint=0;answermode=auto;audio_codecs=${options.codecs}${enc}\n`);
    const child = spawn('baresip', ['-f', options.dir], { stdio: ['ignore', 'pipe', 'pipe'] });
    const phone = new BaresipPhone(options, child);
    try {
      await phone.connectControl();
    } catch (error) {
      // A phone that never came up is stopped here: its test has no handle to close it, and a
      // live child would keep the test process running until the runner's timeout.
      await phone.close();
      throw error;
    }
    return phone;
  }

  private async connectControl(): Promise<void> {
    const deadline = Date.now() + 10000;
    for (;;) {
      if (this.exited) throw new Error(`baresip ${this.options.name} exited: ${this.log.join('')}`);
      try {
        this.socket = await new Promise<Socket>((resolve, reject) => {
          const s = connect(this.options.ctrlPort, '127.0.0.1', () => resolve(s));
          s.once('error', reject);
        });
        break;
      } catch {
        if (Date.now() > deadline) throw new Error(`baresip ${this.options.name}: no control port ${this.options.ctrlPort}; its output: ${this.log.join('').slice(-2000)}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    this.socket.on('data', (d: Buffer) => this.onData(d));
    this.socket.on('error', () => undefined);
  }

  private onData(data: Buffer): void {
    this.buffered = Buffer.concat([this.buffered, data]);
    for (;;) {
      const colon = this.buffered.indexOf(0x3a);
      if (colon < 0) return;
      const len = Number(this.buffered.subarray(0, colon).toString());
      if (this.buffered.length < colon + 1 + len + 1) return;
      const json = this.buffered.subarray(colon + 1, colon + 1 + len).toString();
      this.buffered = this.buffered.subarray(colon + 1 + len + 1);
      let msg: Record<string, unknown>;
      try {
        msg = JSON.parse(json) as Record<string, unknown>;
      } catch {
        continue;
      }
      if (msg.event === true) {
        const event = msg as BaresipEvent;
        this.events.push(event);
        for (let i = this.waiters.length - 1; i >= 0; i--) {
          if (this.waiters[i].test(event)) {
            this.waiters[i].resolve(event);
            this.waiters.splice(i, 1);
          }
        }
      } else if (msg.response === true) {
        this.responses.shift()?.(msg);
      }
    }
  }

  command(command: string, params = ''): Promise<Record<string, unknown>> {
    return new Promise((resolve) => {
      this.responses.push(resolve);
      this.socket?.write(netstring(JSON.stringify({ command, params, token: 't' })));
    });
  }

  /** Resolves with the first event of `type` (already seen or future). */
  waitEvent(type: string, timeoutMs = 10000): Promise<BaresipEvent> {
    const seen = this.events.find((e) => e.type === type);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`baresip ${this.options.name}: no ${type} in ${timeoutMs} ms; events: ${this.events.map((e) => e.type).join(',')}`)), timeoutMs);
      this.waiters.push({
        test: (e) => e.type === type,
        resolve: (e) => {
          clearTimeout(timer);
          resolve(e);
        },
      });
    });
  }

  dial(uri: string): Promise<Record<string, unknown>> {
    return this.command('dial', uri);
  }

  /** Sends each key as RFC 4733 telephone-events, `gapMs` apart. */
  async sendDigits(digits: string, gapMs = 250): Promise<void> {
    for (const d of digits) {
      await this.command('sndcode', d);
      await new Promise((r) => setTimeout(r, gapMs));
    }
  }

  hangup(): Promise<Record<string, unknown>> {
    return this.command('hangup');
  }

  /** WAV files the sndfile module wrote of what the phone received. */
  receivedWavs(): string[] {
    try {
      return readdirSync(this.recordDir)
        .filter((f) => f.endsWith('-dec.wav'))
        .map((f) => join(this.recordDir, f));
    } catch {
      return [];
    }
  }

  async close(): Promise<void> {
    this.socket?.destroy();
    if (this.exited) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.child.kill('SIGKILL');
      }, 2000);
      this.child.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
      this.child.kill('SIGTERM');
    });
  }
}
