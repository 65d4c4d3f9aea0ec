// One level of the media-load bench: open a contender's relay for N calls, drive it with the load
// generator, and measure it: loss, packet transit (p50/p99/max), audio latency against the budget
// (bench/media-load-result.ts), CPU per packet of the relay, and the digits that reached the agent
// side. The serve contender's faults (server start, SIP setup, the server dying) fail the level
// with a note; the in-process contenders' are the bench's own and end the run.
import { performance } from 'node:perf_hooks';
import { mainThreadCpuMs, processCpuMs } from './cpu-time.js';
import type { LoadGenerator } from './load-generator.js';
import { GOAL_TRANSIT_MS, isServe, mediaDelayMs, passesDigits, SLACK_MS, type LoadContender, type MediaLoadLevel } from './media-load-result.js';
import { LOAD_ADDRESS, openRelay, type Relay, type RelaySources } from './media-load-relays.js';
import { messageOf } from '../src/errors.js';

/** Receive buffer of each generator socket, bytes. */
const RECV_BUFFER_BYTES = 32 * 1024 * 1024;
/** Share of late sends beyond which a level is not a measurement of the relay. */
const GENERATOR_LATE_LIMIT = 0.05;

export interface LevelRun extends RelaySources {
  readonly contender: LoadContender;
  readonly calls: number;
  readonly warmupMs: number;
  readonly measureMs: number;
  readonly generator: LoadGenerator;
}

/** A level that could not be measured: nothing passes, the note says why. */
function failedLevel(contender: LoadContender, calls: number, note: string): MediaLoadLevel {
  return {
    contender,
    calls,
    expected: 0,
    lost: 0,
    p50Ms: NaN,
    p99Ms: NaN,
    maxMs: NaN,
    p99AudioMs: NaN,
    budgetMs: mediaDelayMs(contender) + SLACK_MS,
    lateSendShare: 0,
    generatorLimited: false,
    pass: false,
    goalPass: false,
    cpuUsPerPacket: NaN,
    callsPerCore: 0,
    relayCores: NaN,
    generatorCores: null,
    digitsAtAgent: { events: 0, toneFrames: null },
    setupMs: NaN,
    note,
  };
}

/**
 * The relay's CPU clock: its own when it has one (serve: the server process); with the C
 * generator (a process of its own) this whole process, so every contender is measured alike;
 * with the Node generator in the process, the main thread (NaN for the workers, which share the
 * process with the generator).
 */
function relayCpu(relay: Relay, run: LevelRun): () => number {
  if (relay.cpuMs !== undefined) return relay.cpuMs.bind(relay);
  if (run.generator.kind === 'c') return processCpuMs;
  return run.contender !== 'ours-workers' && run.contender !== 'baseline-threads' ? mainThreadCpuMs : (): number => NaN;
}

export async function runLevel(run: LevelRun): Promise<MediaLoadLevel> {
  const { contender, calls, generator } = run;
  let relay: Relay;
  try {
    relay = await openRelay(contender, calls, run);
  } catch (error) {
    if (!isServe(contender)) throw error;
    return failedLevel(contender, calls, `server start: ${messageOf(error)}`);
  }
  const cpu = relayCpu(relay, run);
  let level: MediaLoadLevel;
  try {
    let cpuFrom = 0;
    let wallFrom = 0;
    let setupMs = NaN;
    const result = await generator.run({
      address: LOAD_ADDRESS,
      targets: relay.targets,
      warmupMs: run.warmupMs,
      measureMs: run.measureMs,
      eventsRelayed: passesDigits(contender),
      recvBufferBytes: RECV_BUFFER_BYTES,
      configure: async (ports) => {
        const setupFrom = performance.now();
        const relayPorts = await relay.configure(ports);
        setupMs = performance.now() - setupFrom;
        cpuFrom = cpu();
        wallFrom = performance.now();
        return relayPorts;
      },
    });
    const cpuMs = cpu() - cpuFrom;
    const wallMs = performance.now() - wallFrom;
    const delay = mediaDelayMs(contender);
    const budget = delay + SLACK_MS;
    const lost = result.expected - result.received;
    const cpuUsPerPacket = (cpuMs * 1000) / Math.max(1, result.sent);
    const generatorLimited = result.lateSendShare > GENERATOR_LATE_LIMIT;
    const clean = lost === 0 && result.expected > 0 && !generatorLimited;
    level = {
      cpuUsPerPacket,
      callsPerCore: Math.floor(1e6 / (cpuUsPerPacket * 100)),
      relayCores: cpuMs / wallMs,
      generatorCores: result.cpuShare,
      contender,
      calls,
      expected: result.expected,
      lost,
      p50Ms: result.p50Ms,
      p99Ms: result.p99Ms,
      maxMs: result.maxMs,
      p99AudioMs: result.p99Ms + delay,
      budgetMs: budget,
      lateSendShare: result.lateSendShare,
      generatorLimited,
      pass: clean && result.p99Ms + delay <= budget,
      goalPass: clean && result.p99Ms <= GOAL_TRANSIT_MS,
      digitsAtAgent: { events: result.eventsAtAgent, toneFrames: result.toneFramesAtAgent },
      setupMs,
      note: null,
    };
  } catch (error) {
    const closing = await relay.close();
    if (!isServe(contender)) throw error;
    return failedLevel(contender, calls, [messageOf(error), closing].filter((n) => typeof n === 'string').join('; '));
  }
  const died = relay.exited?.() ?? null;
  const closing = await relay.close();
  const note = [died, closing].filter((n): n is string => typeof n === 'string' && n !== '').join('; ');
  return note === '' ? level : { ...level, pass: false, goalPass: false, note };
}
