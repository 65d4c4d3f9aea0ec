// The media-load bench's `serve` contender: the same load end to end through `toneguard serve`
// (a child process, bench/serve-process.ts), every call set up over SIP with the generator's
// ports in its SDP and switched to secure mode over the HTTP API (bench/serve-calls.ts); the
// `serve-plain` contender leaves the calls outside secure mode (what the server costs without
// the clamp). The server and the SIP peers start once per bench run (as a server keeps running)
// and are started again for the next level if the server died. The relay's CPU is the server process's, every
// thread (/proc/<pid>/stat), so its media workers count.
import type { RelayPorts } from './load-generator.js';
import type { Relay } from './media-load-relays.js';
import { ServeCallRig } from './serve-calls.js';
import { ServeProcess } from './serve-process.js';

export interface ServeContenderOptions {
  /** The built CLI (dist/src/cli/main.js). */
  readonly cli: string;
  readonly address: string;
  /** rtp.ports of the server, `FIRST-LAST`. */
  readonly rtpPorts: string;
  readonly sipPort?: number;
  /** rtp.workers; undefined: the server's default. */
  readonly workers?: number;
  /** Node flags for the server. */
  readonly nodeArgs?: readonly string[];
}

/** One level's calls through the server. */
export interface ServeRelay extends Relay {
  /** The relay's ports are known only once the calls are set up: this many calls. */
  readonly targets: number;
  configure(generator: readonly (readonly [number, number])[]): Promise<RelayPorts>;
  /** BYE every call; a note when teardown or the server's health failed. */
  close(): Promise<string | null>;
  cpuMs(): number;
  /** Why the server is gone, or null. */
  exited(): string | null;
}

export class ServeContender {
  #server: ServeProcess | undefined;
  #rig: ServeCallRig | undefined;

  constructor(private readonly options: ServeContenderOptions) {}

  /** The server and SIP peers, (re)started when needed, then a relay for `calls` calls, switched to secure mode if `secure`. */
  async open(calls: number, secure: boolean): Promise<ServeRelay> {
    if (this.#server?.exited != null) {
      await this.#server.stop();
      this.#server = undefined;
    }
    this.#rig ??= await ServeCallRig.start(this.options.address);
    const rig = this.#rig;
    this.#server ??= await ServeProcess.start({
      cli: this.options.cli,
      address: this.options.address,
      rtpPorts: this.options.rtpPorts,
      upstream: rig.agentUri,
      ...(this.options.sipPort === undefined ? {} : { sipPort: this.options.sipPort }),
      ...(this.options.workers === undefined ? {} : { workers: this.options.workers }),
      ...(this.options.nodeArgs === undefined ? {} : { nodeArgs: this.options.nodeArgs }),
    });
    const server = this.#server;
    return {
      targets: calls,
      async configure(generator) {
        const relay = await rig.setUp(server, generator);
        if (secure) await rig.secureAll(server);
        return relay;
      },
      close: () => rig.tearDown(server),
      cpuMs: () => server.cpuMs(),
      exited: () => server.exited,
    };
  }

  async close(): Promise<void> {
    await this.#server?.stop();
    await this.#rig?.close();
    this.#server = undefined;
    this.#rig = undefined;
  }
}
