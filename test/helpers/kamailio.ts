// Kamailio (Debian package) as the SIP load balancer of scale-out tests: runs
// examples/kamailio/kamailio.cfg itself in the foreground (-DD -E), with the listen address,
// dispatcher list, RPC paths and probing timers overridden by -A defines, in a private
// directory (its runtime dir, pid file, FIFO and control socket), as root or not.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SipCaller } from './sip-peer.js';

export const KAMAILIO = '/usr/sbin/kamailio';
export const KAMAILIO_CFG = resolve(dirname(fileURLToPath(import.meta.url)), '../../examples/kamailio/kamailio.cfg');

export function kamailioAvailable(): boolean {
  return existsSync(KAMAILIO);
}

export interface KamailioOptions {
  /** A private, empty directory. */
  readonly dir: string;
  /** UDP port on 127.0.0.1. */
  readonly port: number;
  /** The instances (set 1), as SIP URIs such as sip:127.0.0.1:5881. */
  readonly backends: readonly string[];
  /** OPTIONS probing period (s). */
  readonly pingIntervalS?: number;
  /** No reply to an INVITE for this long: fail over to the next instance (ms). */
  readonly failoverMs?: number;
}

/** `kamailio -c` on a config with the same defines: the parser's verdict, and its output. */
export function checkKamailioConfig(file: string, defines: readonly string[] = []): { ok: boolean; output: string } {
  const r = spawnSync(KAMAILIO, ['-c', '-f', file, ...defines.flatMap((d) => ['-A', d])], { encoding: 'utf8', timeout: 20_000 });
  return { ok: r.status === 0, output: `${r.stdout}${r.stderr}` };
}

export class Kamailio {
  readonly log: string[] = [];
  private exited = false;
  private readonly exit: Promise<void>;

  private constructor(
    readonly options: KamailioOptions,
    private readonly child: ChildProcess,
  ) {
    child.stdout?.on('data', (d: Buffer) => this.log.push(d.toString()));
    child.stderr?.on('data', (d: Buffer) => this.log.push(d.toString()));
    this.exit = new Promise((r) =>
      child.on('exit', () => {
        this.exited = true;
        r();
      }),
    );
  }

  get port(): number {
    return this.options.port;
  }

  /** The -A defines that point the example config at this test's private paths. */
  static defines(options: KamailioOptions): string[] {
    const { dir } = options;
    return [
      `LISTEN=udp:127.0.0.1:${options.port}`,
      `DISPATCHER_LIST="${join(dir, 'dispatcher.list')}"`,
      `RPC_FIFO="${join(dir, 'kamailio_rpc.fifo')}"`,
      `CTL_SOCKET="unix:${join(dir, 'kamailio_ctl')}"`,
      `DS_PING_INTERVAL=${options.pingIntervalS ?? 1}`,
      'DS_PROBING_THRESHOLD=1',
      'DS_INACTIVE_THRESHOLD=1',
      `FR_TIMER_MS=${options.failoverMs ?? 1000}`,
      'CHILDREN=2',
      'LOG_LEVEL=2',
    ];
  }

  /** Starts Kamailio and resolves once it answers OPTIONS on its port. */
  static async start(options: KamailioOptions): Promise<Kamailio> {
    mkdirSync(options.dir, { recursive: true });
    writeFileSync(join(options.dir, 'dispatcher.list'), options.backends.map((uri, i) => `1 ${uri} 0 0 duid=backend-${i + 1}\n`).join(''));
    const args = [
      '-f',
      KAMAILIO_CFG,
      '-DD', // no daemon, no fork of the main process
      '-E', // log to stderr
      '-Y',
      options.dir, // runtime dir
      '-P',
      join(options.dir, 'kamailio.pid'),
      '-m',
      '32', // shared memory (MiB)
      '-M',
      '4', // private memory per process (MiB)
      ...Kamailio.defines(options).flatMap((d) => ['-A', d]),
    ];
    const child = spawn(KAMAILIO, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const kamailio = new Kamailio(options, child);
    const caller = await SipCaller.open(options.port);
    try {
      const deadline = Date.now() + 10_000;
      for (;;) {
        if (kamailio.exited) throw new Error(`kamailio exited at start:\n${kamailio.log.join('').slice(-3000)}`);
        if (await caller.ping(300)) break;
        if (Date.now() > deadline) throw new Error(`kamailio did not answer OPTIONS in 10 s:\n${kamailio.log.join('').slice(-3000)}`);
      }
    } catch (err) {
      await kamailio.stop();
      throw err;
    } finally {
      await caller.close();
    }
    return kamailio;
  }

  async stop(): Promise<void> {
    if (this.exited) return;
    this.child.kill('SIGTERM');
    const killer = setTimeout(() => this.child.kill('SIGKILL'), 5000);
    await this.exit;
    clearTimeout(killer);
  }
}
