// Call control under fuzzing, over the wire: the whole server (`toneguard serve` wiring) on UDP
// loopback takes thousands of generated and mutated offers (to the payment URI and through the
// B2BUA), a fake PBX answers them (sometimes with hostile answers, rejections, early media, or
// not at all until cancelled), and random in-dialog sequences (re-INVITE, UPDATE, INFO, REFER,
// OPTIONS, PRACK, MESSAGE, NOTIFY, BYE, CANCEL) run from either leg, sometimes two at once.
// The properties: no exception escapes (none even reaches containment), every INVITE gets a
// final response, every in-dialog request gets one, and at the end no call and no RTP port is
// left. Seeded: the seed is printed, TONEGUARD_FUZZ_SEED replays it; every run draws a new seed.
// About 20 s by default (some 4,000 INVITEs and 800 in-dialog sequences here); TONEGUARD_FUZZ_SECONDS
// runs longer.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { parseConfig } from '../../src/config/load-config.js';
import { createLogger } from '../../src/server/logger.js';
import { ToneguardServer } from '../../src/server/toneguard-server.js';
import type { Dialog, MessageOptions, ServerTransaction, SipRequest, SipResponse } from '../../src/sip/sip-stack.js';
import { answerInvite, Peer, waitFor } from '../helpers/call-sip-peers.js';
import { parsePrometheusText, sumOf } from '../helpers/prometheus-text.js';
import { garbageBody, mutateSdp, plainSdp, Prng, randomSdp } from '../helpers/sdp-fuzz.js';
import { testPort, testPortRange } from '../helpers/ports.js';

// Ports of this file: SIP 5792 (toneguard), 5793 (PBX), RTP 31200-31399, gateway simulator 8562.
const SIP = testPort(5792);
const PBX = testPort(5793);
const SECONDS = Number(process.env.TONEGUARD_FUZZ_SECONDS ?? 20);
const SEED = Number(process.env.TONEGUARD_FUZZ_SEED ?? Math.floor(Math.random() * 2 ** 31));
/** Calls in flight at once. */
const WORKERS = 8;
const PAYMENT_HEADERS = { 'X-Payment-Customer-Id': 'C-1', 'X-Payment-Amount': '10.00', 'X-Payment-Currency': 'GBP' };
const METHODS = ['INVITE', 'INVITE', 'INVITE', 'UPDATE', 'INFO', 'INFO', 'INFO', 'REFER', 'OPTIONS', 'PRACK', 'MESSAGE', 'NOTIFY', 'BYE', 'CANCEL'];
type Plan = 'answer' | 'answer-hostile' | 'early' | 'reject' | 'ring-cancel' | 'answer-no-sdp';
const PLANS: readonly Plan[] = ['answer', 'answer', 'answer-hostile', 'answer-hostile', 'early', 'reject', 'ring-cancel', 'answer-no-sdp'];

interface Figures {
  offers: number;
  answers: number;
  calls: number;
  sequences: number;
  inDialog: number;
  finals: Record<string, number>;
  noFinal: string[];
  noInDialogFinal: string[];
}

function anySdp(rng: Prng, port: number): string {
  const kind = rng.int(0, 9);
  if (kind < 5) return randomSdp(rng, { port });
  if (kind < 8) return mutateSdp(rng, plainSdp(rng, { port }));
  return plainSdp(rng, { port });
}

/** How a peer answers a request toneguard sends it inside a dialog (re-INVITE, INFO, REFER, BYE...). */
function answerInDialog(rng: Prng, peer: Peer, req: SipRequest, tx: ServerTransaction, figures: Figures): void {
  if (req.method === 'INVITE' || req.method === 'UPDATE') {
    figures.answers++;
    if (rng.chance(0.15)) tx.respond(rng.pick([488, 491, 500, 603]));
    else
      tx.respond(200, undefined, {
        body: rng.chance(0.5) ? plainSdp(rng, { port: testPort(30000) }) : anySdp(rng, testPort(30000)),
        contentType: 'application/sdp',
        headers: { contact: peer.stack.contact('udp', 'peer') },
      });
    return;
  }
  if (req.method === 'REFER') tx.respond(rng.pick([202, 202, 403, 603]));
  else tx.respond(rng.chance(0.9) ? 200 : rng.pick([481, 500, 405]));
}

function inDialogOptions(rng: Prng, method: string): MessageOptions {
  switch (method) {
    case 'INVITE':
    case 'UPDATE':
      return rng.chance(0.9) ? { body: anySdp(rng, 40000), contentType: 'application/sdp' } : {};
    case 'INFO':
      return rng.pick([
        { body: `Signal=${rng.pick(['5', '#', '*', 'Z', '', '12'])}\r\nDuration=160\r\n`, contentType: 'application/dtmf-relay' },
        { body: rng.pick(['5', 'x', '']), contentType: 'application/dtmf' },
        { body: garbageBody(rng), contentType: rng.pick(['application/json', 'text/plain', 'application/sdp']) },
        {},
      ]);
    case 'REFER':
      return { headers: { 'refer-to': rng.pick(['<sip:ivr@127.0.0.1>', 'garbage', '<sip:x@127.0.0.1?X-Payment-Amount=1>', '']) } };
    case 'NOTIFY':
      return { headers: { event: 'refer', 'subscription-state': 'terminated' }, body: rng.pick(['SIP/2.0 200 OK', 'SIP/2.0 503 x', 'junk']), contentType: 'message/sipfrag' };
    case 'MESSAGE':
      return { body: rng.pick(['hi', '4111111111111111'.slice(0, 4)]), contentType: 'text/plain' };
    case 'PRACK':
      return { headers: { rack: '1 1 INVITE' } };
    default:
      return {};
  }
}

t.test('call control survives generated and mutated offers, answers and in-dialog sequences from both legs', async (t) => {
  t.comment(`fuzz seed ${SEED} (replay: TONEGUARD_FUZZ_SEED=${SEED}), ${SECONDS} s`);
  const escaped: string[] = [];
  const onEscape = (error: unknown): void => void escaped.push(error instanceof Error ? `${error.name}: ${error.message}\n${error.stack ?? ''}` : String(error));
  process.on('uncaughtException', onEscape);
  process.on('unhandledRejection', onEscape);
  t.teardown(() => {
    process.off('uncaughtException', onEscape);
    process.off('unhandledRejection', onEscape);
  });

  const dir = mkdtempSync(join(tmpdir(), 'toneguard-fuzz-'));
  const logs: string[] = [];
  const server = await ToneguardServer.start(
    parseConfig({
      sip: { listen: `127.0.0.1:${SIP}`, maxCallsPerSource: 1000, maxTransactionsPerSource: 100_000 }, // every peer here is 127.0.0.1
      http: { listen: '127.0.0.1:0' },
      rtp: { ports: testPortRange('31200-31399') },
      upstream: `sip:127.0.0.1:${PBX}`,
      payment: { uri: 'sip:pay@127.0.0.1', returnBy: 'BYE' },
      gateway: { url: `https://127.0.0.1:${testPort(8562)}/xml/v1/request.api` },
      kpi: { sqlite: join(dir, 'kpi.sqlite') },
    }),
    createLogger('warn', { write: (line: string) => void logs.push(line) }),
  );
  const caller = await Peer.start();
  const pbx = await Peer.start(PBX);
  t.teardown(async () => {
    await server.shutdown(0);
    await Promise.all([caller.close(), pbx.close()]);
    rmSync(dir, { recursive: true, force: true });
  });

  const figures: Figures = { offers: 0, answers: 0, calls: 0, sequences: 0, inDialog: 0, finals: {}, noFinal: [], noInDialogFinal: [] };
  const plans = new Map<string, { plan: Plan; rng: Prng }>();
  const pbxDialogOf = new Map<string, Dialog>();
  const answerRng = new Prng(SEED ^ 0x5bd1e995);

  pbx.handler = (req, tx) => {
    if (tx === undefined) return;
    const fresh = req.method === 'INVITE' && pbx.dialogFor(req) === undefined;
    if (!fresh) {
      answerInDialog(answerRng, pbx, req, tx, figures);
      return;
    }
    const id = req.headers.get('x-fuzz-case') ?? '';
    const entry = plans.get(id);
    const rng = entry?.rng ?? answerRng;
    const keep = (d: Dialog | undefined): void => {
      if (d !== undefined) pbxDialogOf.set(id, d);
    };
    const sdp = (): MessageOptions => {
      figures.answers++;
      return { body: entry?.plan === 'answer-hostile' ? anySdp(rng, testPort(30000)) : plainSdp(rng, { port: testPort(30000) }), contentType: 'application/sdp' };
    };
    switch (entry?.plan ?? 'answer') {
      case 'reject':
        tx.respond(rng.pick([404, 401, 407, 486, 488, 503, 600, 302]));
        return;
      case 'ring-cancel':
        answerInvite(pbx, req, tx, 180);
        return; // the caller cancels; the stack answers 487
      case 'early':
        answerInvite(pbx, req, tx, 183, sdp());
        setTimeout(() => keep(answerInvite(pbx, req, tx, 200, rng.chance(0.5) ? sdp() : {})), rng.int(0, 30));
        return;
      case 'answer-no-sdp':
        keep(answerInvite(pbx, req, tx, 200));
        return;
      default:
        answerInvite(pbx, req, tx, 180);
        keep(answerInvite(pbx, req, tx, 200, sdp()));
    }
  };
  caller.handler = (req, tx) => {
    if (tx !== undefined) answerInDialog(answerRng, caller, req, tx, figures);
  };

  const tg = { transport: 'udp' as const, address: '127.0.0.1', port: SIP };
  let nextCase = 0;
  /** What each call was, by its Call-ID, to describe one left behind. */
  const described = new Map<string, string>();

  async function inDialogRequest(rng: Prng, id: string, dialogs: { caller: Dialog; pbx: Dialog | undefined }, log: string[]): Promise<void> {
    const fromPbx = dialogs.pbx !== undefined && rng.chance(0.35);
    const method = rng.pick(METHODS);
    const options = inDialogOptions(rng, method);
    if (options.body !== undefined && (method === 'INVITE' || method === 'UPDATE')) figures.offers++;
    figures.inDialog++;
    const res: SipResponse | undefined = await (fromPbx ? pbx.request(dialogs.pbx as Dialog, method, options) : caller.request(dialogs.caller, method, options));
    log.push(`${fromPbx ? 'pbx' : 'caller'} ${method} ${res?.status ?? 'none'}`);
    if (res === undefined) figures.noInDialogFinal.push(`case ${id}: ${method} from the ${fromPbx ? 'PBX' : 'caller'}`);
  }

  async function scenario(): Promise<void> {
    const n = nextCase++;
    const id = String(n);
    const rng = new Prng((SEED + Math.imul(n, 0x9e3779b1)) >>> 0);
    const endpoint = rng.chance(0.35);
    const uri = endpoint ? 'sip:pay@127.0.0.1' : `sip:${rng.int(100, 999)}@127.0.0.1:${SIP}`;
    const kind = rng.int(0, 19);
    const body =
      kind < 11 ? randomSdp(rng, { port: 40000 }) : kind < 15 ? mutateSdp(rng, plainSdp(rng, { port: 40000 })) : kind < 17 ? plainSdp(rng, { port: 40000 }) : kind < 18 ? undefined : garbageBody(rng);
    const plan = rng.pick(PLANS);
    plans.set(id, { plan, rng: new Prng(rng.int(0, 2 ** 31)) });
    const headers: Record<string, string> = { 'x-fuzz-case': id, ...(endpoint && rng.chance(0.6) ? PAYMENT_HEADERS : {}) };
    const ackBody = body === undefined && rng.chance(0.7) ? anySdp(rng, 40000) : undefined;
    if (body !== undefined) figures.offers++;
    figures.calls++;
    const out = caller.invite(tg, uri, { body, contentType: rng.chance(0.95) ? 'application/sdp' : 'text/plain', headers, ackBody });
    const description = [`case ${id}`, endpoint ? 'payment URI' : 'B2BUA', `PBX ${plan}`];
    described.set(out.request.headers.get('call-id') ?? '', description.join(', '));
    if (plan === 'ring-cancel' || rng.chance(0.05)) {
      void out.provisional(endpoint ? 100 : 180, 2000).then(
        () => setTimeout(() => out.ctx.cancel(), rng.int(0, 20)),
        () => undefined,
      );
    }
    let final: SipResponse;
    try {
      final = await out.final;
    } catch {
      figures.noFinal.push(`case ${id} (${endpoint ? 'payment URI' : 'B2BUA'}, PBX ${plan})`);
      return;
    }
    figures.finals[final.status] = (figures.finals[final.status] ?? 0) + 1;
    description.push(`final ${final.status}`, `offer ${JSON.stringify(body)}`, `ack ${JSON.stringify(ackBody)}`);
    described.set(out.request.headers.get('call-id') ?? '', description.join(', '));
    const dialog = out.dialog;
    if (final.status < 300 && dialog !== undefined) {
      figures.sequences++;
      for (let ops = rng.int(0, 6); ops > 0; ops--) {
        const dialogs = { caller: dialog, pbx: pbxDialogOf.get(id) };
        await Promise.all(Array.from({ length: rng.chance(0.2) ? 2 : 1 }, () => inDialogRequest(rng, id, dialogs, description)));
      }
      // A loaded server answers 503 (its transaction limits; every peer here shares one source
      // address and thousands of finished transactions linger for timer J): retry as a UA does
      // (RFC 3261 §21.5.4).
      let bye = await caller.request(dialog, 'BYE');
      for (let retry = 0; bye?.status === 503 && retry < 40; retry++) {
        await new Promise((resolve) => setTimeout(resolve, 250));
        bye = await caller.request(dialog, 'BYE');
      }
      description.push(`final BYE ${bye?.status ?? 'none'}`);
      described.set(out.request.headers.get('call-id') ?? '', description.join(', '));
      if (bye === undefined) figures.noInDialogFinal.push(`case ${id}: the final BYE`);
      caller.dialogs.delete(dialog.id);
    }
    const pbxDialog = pbxDialogOf.get(id);
    if (pbxDialog !== undefined) pbx.dialogs.delete(pbxDialog.id);
    pbxDialogOf.delete(id);
    plans.delete(id);
  }

  const started = Date.now();
  const deadline = started + SECONDS * 1000;
  await Promise.all(
    Array.from({ length: WORKERS }, async () => {
      while (Date.now() < deadline && escaped.length === 0) {
        await scenario();
        // The peers keep every request they got; nothing here reads them.
        caller.received.length = 0;
        pbx.received.length = 0;
      }
    }),
  );
  const seconds = (Date.now() - started) / 1000;
  await waitFor(() => server.callCount === 0 && server.rtpPortPairsInUse === 0, 15_000).catch(() => undefined);
  const metrics = parsePrometheusText(await (await fetch(`${server.httpUrl}/metrics`)).text());
  const contained = sumOf(metrics, 'toneguard_internal_errors_total');
  const internalLogs = logs.filter((l) => l.includes('internal error'));
  const summary =
    `seed ${SEED}: ${figures.calls} INVITEs, ${figures.offers} offers, ${figures.answers} answers, ${figures.sequences} in-dialog sequences ` +
    `(${figures.inDialog} requests), ${seconds.toFixed(1)} s, escaped ${escaped.length}, contained ${contained}; finals ${JSON.stringify(figures.finals)}`;
  t.comment(summary);
  t.same(escaped, [], `no exception escaped (${summary})`);
  t.equal(contained, 0, `no error needed containment: ${internalLogs.slice(0, 3).join(' | ')} (seed ${SEED})`);
  t.same(figures.noFinal, [], `every INVITE got a final response (seed ${SEED})`);
  t.same(figures.noInDialogFinal.slice(0, 20), [], `every in-dialog request got a final response (seed ${SEED})`);
  const left = JSON.parse(await (await fetch(`${server.httpUrl}/calls`)).text()) as { calls?: Record<string, unknown>[] } | Record<string, unknown>[];
  const leftList = Array.isArray(left) ? left : (left.calls ?? []);
  for (const c of leftList.slice(0, 5)) {
    const known = JSON.stringify(c)
      .match(/[^"]+@127\.0\.0\.1/g)
      ?.map((callId) => described.get(callId))
      .find((d) => d !== undefined);
    t.comment(`left behind: ${JSON.stringify(c).slice(0, 200)}: ${known ?? 'unknown'}`);
  }
  t.equal(server.callCount, 0, `no call left behind (seed ${SEED})`);
  t.equal(server.rtpPortPairsInUse, 0, `every RTP port pair released (seed ${SEED})`);
  t.ok(figures.calls > 100, 'a real number of calls ran');
});
