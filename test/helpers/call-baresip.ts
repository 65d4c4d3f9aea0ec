// baresip 1.0 (Debian) as a scripted phone for the call-control interop test: own config dir,
// SIP, RTP and ctrl_tcp ports (TOOLS.md); commands as netstring-framed JSON.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const BARESIP_AVAILABLE = spawnSync('which', ['baresip']).status === 0;
const SOURCE_WAV = '/usr/share/asterisk/sounds/en/activated.wav';

export class Baresip {
  private constructor(
    private readonly child: ChildProcess,
    private readonly dir: string,
    readonly ctrlPort: number,
    readonly log: string[],
  ) {}

  static async start(name: string, sipPort: number, ctrlPort: number, rtpPorts: string, options: { srtp?: boolean } = {}): Promise<Baresip> {
    const dir = mkdtempSync(join(tmpdir(), `tg-call-${name}-`));
    mkdirSync(dir, { recursive: true });
    const modules = ['g711.so', 'aufile.so', 'aubridge.so', ...(options.srtp ? ['srtp.so'] : []), 'account.so', 'menu.so', 'ctrl_tcp.so']; // srtp before account: accounts look their mediaenc up when loaded
    writeFileSync(
      join(dir, 'config'),
      [
        'poll_method epoll',
        `sip_listen 127.0.0.1:${sipPort}`,
        'net_interface 127.0.0.1',
        'audio_player aubridge,nil',
        `audio_source aufile,${SOURCE_WAV}`,
        'audio_alert aubridge,nil',
        `rtp_ports ${rtpPorts}`,
        'module_path /usr/lib/baresip/modules',
        ...modules.map((m) => `module ${m}`),
        `ctrl_tcp_listen 127.0.0.1:${ctrlPort}`,
      ].join('\n') + '\n',
    );
    const enc = options.srtp ? ';mediaenc=srtp-mand' : '';
    writeFileSync(join(dir, 'accounts'), `<sip:${name}@127.0.0.1:${sipPort}>;regint=0;answermode=auto;audio_codecs=PCMU,PCMA${enc}\n`);
    const log: string[] = [];
    const child = spawn('baresip', ['-f', dir], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout?.on('data', (d: Buffer) => log.push(d.toString()));
    child.stderr?.on('data', (d: Buffer) => log.push(d.toString()));
    const phone = new Baresip(child, dir, ctrlPort, log);
    for (let i = 0; i < 50; i++) {
      if (await phone.ping()) return phone;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    phone.stop();
    throw new Error(`baresip ${name} did not start: ${log.join('')}`);
  }

  private ping(): Promise<boolean> {
    return new Promise((resolve) => {
      const s = connect(this.ctrlPort, '127.0.0.1', () => {
        s.destroy();
        resolve(true);
      });
      s.on('error', () => resolve(false));
    });
  }

  command(command: string, params = ''): Promise<void> {
    const json = JSON.stringify({ command, params, token: 't' });
    return new Promise((resolve) => {
      const s = connect(this.ctrlPort, '127.0.0.1', () => {
        s.write(`${Buffer.byteLength(json)}:${json},`);
        setTimeout(() => {
          s.destroy();
          resolve();
        }, 200);
      });
      s.on('data', (d: Buffer) => this.log.push(d.toString()));
      s.on('error', () => resolve());
    });
  }

  stop(): void {
    if (this.child.exitCode === null) this.child.kill('SIGTERM');
    rmSync(this.dir, { recursive: true, force: true });
  }
}
