// The serve contender's SIP side, on the project's own SIP stack over UDP loopback: a caller UAC
// (the carrier/PBX in front of toneguard) and an agent UAS (the PBX toneguard forwards to, its
// `upstream`). Per call: INVITE to toneguard with an SDP offer whose audio is the load
// generator's caller-side port (PCMU + telephone-event/8000); toneguard's INVITE reaches the
// agent UAS, which answers with the generator's agent-side port; the caller ACKs toneguard's 200.
// The relay's ports come out of the SDP: the caller side from toneguard's answer, the agent side
// from its offer. Then secure mode on over the HTTP API as an operator would
// (POST /calls/<X-Toneguard-Call-Id>/secure), checked in GET /calls; at the end BYE from the caller.
// Calls are set up a batch at a time (CONCURRENCY in flight) and every wait has a timeout.
import { Dialog, SipStack, parseCSeq, type Destination, type SipResponse } from '../src/sip/sip-stack.js';
import { CodedError } from '../src/errors.js';
import { plainAudioSdp } from '../src/sip/sdp.js';
import { parseSdp } from '../src/sip/sdp.js';
import type { RelayPorts } from './load-generator.js';
import type { ServeProcess } from './serve-process.js';

export class ServeCallsError extends CodedError<'ERR_BENCH_SERVE_CALLS'> {
  constructor(message: string) {
    super('ERR_BENCH_SERVE_CALLS', message);
  }
}

/** Calls in flight at once during setup, secure-mode switching and teardown. */
const CONCURRENCY = 50;
/** One call's setup (INVITE to ACK), ms. */
const CALL_TIMEOUT_MS = 15_000;
const API_TIMEOUT_MS = 10_000;
/** After the BYEs: how long the server may take to list no call, ms. */
const DRAIN_TIMEOUT_MS = 15_000;
/** Far above a bench level: one source places every call and answers every forwarded INVITE. */
const STACK_LIMITS = { maxTransactionsPerSource: 100_000, maxTransactions: 200_000, maxPendingInvitesPerSource: 10_000 };

interface Pending {
  /** The generator's agent-side port for this call's answer. */
  readonly agentMediaPort: number;
  /** toneguard's agent-leg port and call id, once its INVITE arrived. */
  agentLeg?: { readonly port: number; readonly id: string };
}

interface SetUpCall {
  readonly dialog: Dialog;
  readonly id: string;
  readonly ports: readonly [number, number];
}

/** The audio m= line of an SDP body: its port (NaN when none) and the payload type it maps to
 * telephone-event/8000 (101 when it names none). */
function audioOf(sdp: string): { readonly port: number; readonly eventPt: number } {
  const audio = parseSdp(sdp)?.media.find((m) => m.media === 'audio');
  const event = audio?.codecs.find((c) => c.encoding.toLowerCase() === 'telephone-event' && c.clockRate === 8000);
  return { port: audio?.port ?? NaN, eventPt: event?.payloadType ?? 101 };
}

function sdpBody(address: string, port: number, eventPt: number): string {
  return plainAudioSdp(address, port, [{ payloadType: 0, encoding: 'PCMU' }], eventPt);
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([p, new Promise<T>((_, reject) => (timer = setTimeout(() => reject(new ServeCallsError(`${what}: no answer within ${ms} ms`)), ms)))]).finally(() => clearTimeout(timer));
}

/** Runs fn(0..n-1) with at most `limit` in flight; every outcome kept. */
async function pooled<T>(n: number, limit: number, fn: (i: number) => Promise<T>): Promise<PromiseSettledResult<T>[]> {
  const out: PromiseSettledResult<T>[] = new Array<PromiseSettledResult<T>>(n);
  let next = 0;
  const runner = async (): Promise<void> => {
    while (next < n) {
      const i = next++;
      try {
        out[i] = { status: 'fulfilled', value: await fn(i) };
      } catch (reason) {
        out[i] = { status: 'rejected', reason };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, n) }, runner));
  return out;
}

function failures(results: readonly PromiseSettledResult<unknown>[], what: string): string | null {
  const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed.length === 0) return null;
  const first = failed[0].reason instanceof Error ? failed[0].reason.message : String(failed[0].reason);
  return `${failed.length} of ${results.length} calls: ${what} failed (first: ${first})`;
}

export class ServeCallRig {
  /** Calls of the current level by To user part. */
  readonly #pending = new Map<string, Pending>();
  #calls: SetUpCall[] = [];
  #level = 0;

  private constructor(
    private readonly address: string,
    private readonly caller: SipStack,
    private readonly agent: SipStack,
  ) {
    // The agent UAS: answers toneguard's INVITE for a known call with the generator's agent-side
    // port; anything else in a dialog (BYE, OPTIONS) gets 200.
    agent.onRequest((req, tx) => {
      if (tx === undefined) return; // ACK
      const toTag = /;\s*tag=/.test(req.headers.get('to') ?? '');
      if (req.method !== 'INVITE' || toTag) return void tx.respond(200);
      const user = /^sips?:([^@;]+)@/.exec(req.uri)?.[1] ?? '';
      const call = this.#pending.get(user);
      const { port, eventPt } = audioOf(req.body.toString());
      const id = req.headers.get('x-toneguard-call-id') ?? '';
      if (call === undefined || !Number.isInteger(port) || id === '') return void tx.respond(404);
      call.agentLeg = { port, id };
      tx.respond(200, undefined, {
        body: sdpBody(this.address, call.agentMediaPort, eventPt),
        contentType: 'application/sdp',
        headers: { contact: agent.contact('udp', 'agent') },
      });
    });
    // The caller: a BYE or OPTIONS from toneguard gets 200.
    caller.onRequest((_req, tx) => tx?.respond(200));
  }

  static async start(address: string): Promise<ServeCallRig> {
    const caller = await SipStack.listen({ address, port: 0, transports: ['udp'], limits: STACK_LIMITS, trying100DelayMs: 0 });
    try {
      const agent = await SipStack.listen({ address, port: 0, transports: ['udp'], limits: STACK_LIMITS, trying100DelayMs: 0 });
      return new ServeCallRig(address, caller, agent);
    } catch (error) {
      await caller.close();
      throw error;
    }
  }

  /** toneguard's `upstream`: the agent UAS. */
  get agentUri(): string {
    return `sip:${this.address}:${this.agent.localAddress('udp')?.port ?? 0}`;
  }

  /**
   * Sets up one call per entry of `generator` (its caller-side and agent-side ports) through the
   * server; returns the relay's ports per call (caller side, agent side). Throws with a note
   * when a call is not set up in time; the calls that were are kept for tearDown.
   */
  async setUp(server: ServeProcess, generator: readonly (readonly [number, number])[]): Promise<RelayPorts> {
    const level = ++this.#level;
    this.#pending.clear();
    this.#calls = [];
    const target: Destination = { transport: 'udp', address: this.address, port: server.sipPort };
    const results = await pooled(generator.length, CONCURRENCY, async (c) => {
      if (server.exited !== null) throw new ServeCallsError(server.exited);
      const user = `bench${level}x${c}`;
      const pending: Pending = { agentMediaPort: generator[c][1] };
      this.#pending.set(user, pending);
      const uri = `sip:${user}@${this.address}:${server.sipPort}`;
      const req = this.caller.createRequest({
        method: 'INVITE',
        uri,
        from: `<sip:caller${c}@${this.address}>`,
        to: `<${uri}>`,
        contact: this.caller.contact('udp', 'caller'),
        body: sdpBody(this.address, generator[c][0], 101),
        contentType: 'application/sdp',
      });
      const ctx = this.caller.request(req, target);
      const res = await withTimeout(
        new Promise<SipResponse>((resolve, reject) => {
          ctx.on('final', resolve);
          ctx.on('timeout', () => reject(new ServeCallsError('INVITE timed out')));
          ctx.on('transportError', () => reject(new ServeCallsError('INVITE: transport error')));
        }),
        CALL_TIMEOUT_MS,
        'INVITE',
      );
      if (res.status !== 200) throw new ServeCallsError(`INVITE answered ${res.status}`);
      const dialog = Dialog.fromUacResponse(req, res);
      if (dialog === undefined) throw new ServeCallsError('no dialog from the 200');
      ctx.ack(dialog.createAck(parseCSeq(req.headers.get('cseq') ?? '')?.seq ?? 1), dialog.nextHop() ?? target);
      const callerSide = audioOf(res.body.toString()).port;
      const agentLeg = pending.agentLeg;
      if (!Number.isInteger(callerSide) || agentLeg === undefined) {
        this.#calls.push({ dialog, id: agentLeg?.id ?? '', ports: [0, 0] });
        throw new ServeCallsError('no audio port in the SDP of a leg');
      }
      const call: SetUpCall = { dialog, id: agentLeg.id, ports: [callerSide, agentLeg.port] };
      this.#calls.push(call);
      return call;
    });
    const note = failures(results, 'setup');
    if (note !== null) throw new ServeCallsError(note);
    // In call order: the generator's call c is our call c.
    return results.map((r) => (r as PromiseFulfilledResult<SetUpCall>).value.ports);
  }

  /** Secure mode on for every call over the HTTP API, then GET /calls: every call confirmed and secure. */
  async secureAll(server: ServeProcess): Promise<void> {
    const calls = this.#calls;
    const results = await pooled(calls.length, CONCURRENCY, async (c) => {
      const res = await server.api('POST', `/calls/${encodeURIComponent(calls[c].id)}/secure`, API_TIMEOUT_MS);
      if (res.status !== 200) throw new ServeCallsError(`POST /calls/:id/secure answered ${res.status}`);
    });
    const note = failures(results, 'secure mode');
    if (note !== null) throw new ServeCallsError(note);
    const list = await server.api('GET', '/calls', API_TIMEOUT_MS);
    const live = (list.body as { calls?: { id: string; state: string; secure: boolean }[] } | null)?.calls ?? [];
    const ours = new Set(calls.map((c) => c.id));
    const good = live.filter((c) => ours.has(c.id) && c.state === 'confirmed' && c.secure).length;
    if (good !== calls.length) throw new ServeCallsError(`GET /calls: ${good} of ${calls.length} calls confirmed and secure`);
  }

  /** BYE from the caller on every call set up; then the server must list no call and be live. Returns a note or null. */
  async tearDown(server: ServeProcess): Promise<string | null> {
    const calls = this.#calls;
    this.#calls = [];
    this.#pending.clear();
    if (server.exited !== null) return server.exited;
    const results = await pooled(calls.length, CONCURRENCY, async (c) => {
      const { dialog } = calls[c];
      const bye = dialog.createRequest('BYE');
      const ctx = this.caller.request(bye, dialog.nextHop() ?? { transport: 'udp', address: this.address, port: server.sipPort });
      const res = await withTimeout(
        new Promise<SipResponse>((resolve, reject) => {
          ctx.on('final', resolve);
          ctx.on('timeout', () => reject(new ServeCallsError('BYE timed out')));
        }),
        CALL_TIMEOUT_MS,
        'BYE',
      );
      if (res.status !== 200) throw new ServeCallsError(`BYE answered ${res.status}`);
    });
    const notes = [failures(results, 'BYE')];
    const deadline = Date.now() + DRAIN_TIMEOUT_MS;
    let left = -1;
    while (Date.now() < deadline && server.exited === null) {
      try {
        const list = await server.api('GET', '/calls', API_TIMEOUT_MS);
        left = (list.body as { calls?: unknown[] } | null)?.calls?.length ?? -1;
      } catch {
        left = -1;
      }
      if (left === 0) break;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    if (left !== 0) notes.push(`after the BYEs the server still listed ${left < 0 ? 'an unknown number of' : left} calls`);
    if (!(await server.healthy())) notes.push(`the server is not healthy after teardown${server.exited === null ? '' : `: ${server.exited}`}`);
    const note = notes.filter((n): n is string => n !== null).join('; ');
    return note === '' ? null : note;
  }

  async close(): Promise<void> {
    await Promise.all([this.caller.close(), this.agent.close()]);
  }
}
