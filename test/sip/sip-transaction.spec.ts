// Transaction state machines (RFC 3261 §17, RFC 6026) on a manual clock: retransmission
// schedules (A, E, G, 2xx), timeouts (B, F, H, L), cleanup (D, I, J, K, M), ACK and CANCEL.
import t from 'tap';
import { ManualClock } from '../../src/sip/clock.js';
import { createResponse } from '../../src/sip/message.js';
import { SipHeaders, type SipMessage, type SipRequest } from '../../src/sip/message-types.js';
import { DEFAULT_TIMERS, type Destination, type TransactionContext } from '../../src/sip/transaction.js';
import { ClientTransaction } from '../../src/sip/transaction-client.js';
import { ServerTransaction } from '../../src/sip/transaction-server.js';

const UDP: Destination = { transport: 'udp', address: '127.0.0.1', port: 5599 };
const TCP: Destination = { transport: 'tcp', address: '127.0.0.1', port: 5599 };

function request(method: string, branch = 'z9hG4bKabc'): SipRequest {
  const headers = new SipHeaders([
    ['Via', `SIP/2.0/UDP 127.0.0.1:5598;branch=${branch}`],
    ['Max-Forwards', '70'],
    ['From', '<sip:a@127.0.0.1>;tag=fa'],
    ['To', '<sip:b@127.0.0.1>'],
    ['Call-ID', 'call-1'],
    ['CSeq', `1 ${method}`],
  ]);
  return { kind: 'request', method, uri: 'sip:b@127.0.0.1', headers, body: Buffer.alloc(0) };
}

interface Harness {
  readonly clock: ManualClock;
  readonly ctx: TransactionContext;
  /** [time ms, message] for each send. */
  readonly sent: [number, SipMessage][];
  readonly removed: unknown[];
  readonly cancels: ClientTransaction[];
}

function harness(trying100DelayMs = 200): Harness {
  const clock = new ManualClock();
  const sent: [number, SipMessage][] = [];
  const removed: unknown[] = [];
  const cancels: ClientTransaction[] = [];
  const ctx: TransactionContext = {
    clock,
    timers: DEFAULT_TIMERS,
    trying100DelayMs,
    send: (m) => void sent.push([clock.now(), m]),
    removed: (tx) => void removed.push(tx),
    sendCancel: (tx) => void cancels.push(tx),
  };
  return { clock, ctx, sent, removed, cancels };
}

const times = (h: Harness, pred: (m: SipMessage) => boolean): number[] => h.sent.filter(([, m]) => pred(m)).map(([at]) => at);
const isReq =
  (method: string) =>
  (m: SipMessage): boolean =>
    m.kind === 'request' && m.method === method;
const isStatus =
  (status: number) =>
  (m: SipMessage): boolean =>
    m.kind === 'response' && m.status === status;

t.test('INVITE client over UDP: timer A doubles from T1 until timer B (64*T1) times out', async (t) => {
  const h = harness();
  const tx = new ClientTransaction(h.ctx, request('INVITE'), UDP);
  let timedOut = false;
  tx.on('timeout', () => (timedOut = true));
  tx.start();
  h.clock.advance(31_999);
  t.notOk(timedOut);
  h.clock.advance(1);
  t.ok(timedOut, 'timer B at 32 s');
  t.same(times(h, isReq('INVITE')), [0, 500, 1500, 3500, 7500, 15500, 31500]);
  t.equal(tx.state, 'terminated');
  t.equal(h.removed.length, 1);
  t.equal(h.clock.pending, 0, 'no timer left');
});

t.test('INVITE client over TCP: no retransmission, still timer B', async (t) => {
  const h = harness();
  const tx = new ClientTransaction(h.ctx, request('INVITE'), TCP);
  let timedOut = false;
  tx.on('timeout', () => (timedOut = true));
  tx.start();
  h.clock.advance(40_000);
  t.same(times(h, isReq('INVITE')), [0]);
  t.ok(timedOut);
});

t.test('INVITE client: 1xx stops A and B; non-2xx is ACKed (same branch), retransmissions re-ACKed, D = 32 s', async (t) => {
  const h = harness();
  const inv = request('INVITE');
  const tx = new ClientTransaction(h.ctx, inv, UDP);
  const seen: number[] = [];
  tx.on('provisional', (r) => seen.push(r.status));
  tx.on('final', (r) => seen.push(r.status));
  tx.start();
  h.clock.advance(600);
  tx.receive(createResponse(inv, 180, undefined, { toTag: 'tb' }));
  h.clock.advance(60_000);
  t.equal(tx.state, 'proceeding', 'no timer B in Proceeding');
  t.same(times(h, isReq('INVITE')), [0, 500]);
  const busy = createResponse(inv, 486, undefined, { toTag: 'tb' });
  tx.receive(busy);
  t.equal(tx.state, 'completed');
  tx.receive(busy);
  const acks = h.sent.filter(([, m]) => m.kind === 'request' && m.method === 'ACK').map(([, m]) => m as SipRequest);
  t.equal(acks.length, 2, 'each 486 ACKed');
  t.equal(acks[0].headers.get('via'), inv.headers.get('via'));
  t.match(acks[0].headers.get('to') ?? '', /tag=tb/);
  t.equal(acks[0].headers.get('cseq'), '1 ACK');
  t.same(seen, [180, 486], 'the retransmitted 486 is not reported again');
  h.clock.advance(31_999);
  t.equal(tx.state, 'completed');
  h.clock.advance(1);
  t.equal(tx.state, 'terminated', 'timer D');
});

t.test('INVITE client: 2xx -> Accepted; TU ACK re-sent on 2xx retransmission; fork reported; M = 64*T1', async (t) => {
  const h = harness();
  const inv = request('INVITE');
  const tx = new ClientTransaction(h.ctx, inv, UDP);
  const finals: string[] = [];
  tx.on('final', (r) => finals.push(`${r.status} ${r.headers.get('to')}`));
  tx.start();
  const ok = createResponse(inv, 200, undefined, { toTag: 't1' });
  tx.receive(ok);
  t.equal(tx.state, 'accepted');
  const ack = request('ACK', 'z9hG4bKack');
  tx.ack(ack);
  tx.receive(ok);
  t.equal(times(h, isReq('ACK')).length, 2, 'ACK re-sent for the retransmitted 200');
  tx.receive(createResponse(inv, 200, undefined, { toTag: 't2' }));
  t.equal(finals.length, 2, 'a 2xx from another fork is reported');
  h.clock.advance(32_000);
  t.equal(tx.state, 'terminated');
});

t.test('non-INVITE client: E doubles to T2 (then T2 in Proceeding), F = 64*T1 timeout; K = T4 after final', async (t) => {
  const h = harness();
  const tx = new ClientTransaction(h.ctx, request('OPTIONS'), UDP);
  let timedOut = false;
  tx.on('timeout', () => (timedOut = true));
  tx.start();
  h.clock.advance(32_000);
  t.ok(timedOut);
  t.same(times(h, isReq('OPTIONS')), [0, 500, 1500, 3500, 7500, 11500, 15500, 19500, 23500, 27500, 31500]);

  const h2 = harness();
  const req = request('BYE');
  const tx2 = new ClientTransaction(h2.ctx, req, UDP);
  tx2.start();
  h2.clock.advance(600);
  tx2.receive(createResponse(req, 100));
  h2.clock.advance(9000);
  t.same(times(h2, isReq('BYE')), [0, 500, 1500, 5500, 9500], 'E fires as scheduled, then every T2 in Proceeding (§17.1.2.2)');
  let final = 0;
  tx2.on('final', () => final++);
  tx2.receive(createResponse(req, 200, undefined, { toTag: 'x' }));
  tx2.receive(createResponse(req, 200, undefined, { toTag: 'x' }));
  t.equal(final, 1);
  t.equal(tx2.state, 'completed');
  h2.clock.advance(4999);
  t.equal(tx2.state, 'completed');
  h2.clock.advance(1);
  t.equal(tx2.state, 'terminated', 'timer K = T4');
});

t.test('CANCEL: held until a provisional response, then sent; 64*T1 without a final response times out', async (t) => {
  const h = harness();
  const inv = request('INVITE');
  const tx = new ClientTransaction(h.ctx, inv, UDP);
  let timedOut = false;
  tx.on('timeout', () => (timedOut = true));
  tx.start();
  tx.cancel();
  t.equal(h.cancels.length, 0, 'not before a 1xx (§9.1)');
  tx.receive(createResponse(inv, 180, undefined, { toTag: 'tb' }));
  t.equal(h.cancels.length, 1);
  h.clock.advance(32_000);
  t.ok(timedOut);
});

t.test('INVITE server: nothing is sent before start(); a 100 Trying that fails at once ends the transaction after it', async (t) => {
  const h = harness(0);
  const failing: TransactionContext = { ...h.ctx, send: (_m, _d, onError) => onError?.(new Error('EINVAL')) };
  const removed: unknown[] = [];
  const tx = new ServerTransaction({ ...failing, removed: (x) => void removed.push(x) }, request('INVITE'), UDP, 'k', 'totag');
  t.equal(tx.state, 'proceeding', 'constructed: not yet started');
  t.same(removed, [], 'nothing removed before the owner registered it');
  tx.start();
  t.equal(tx.state, 'terminated', 'the failed 100 Trying ended it');
  t.same(removed, [tx], 'removed once, after start()');
  const ok = new ServerTransaction(h.ctx, request('INVITE'), UDP, 'k2', 'totag');
  t.same(times(h, isStatus(100)), [], 'no 100 Trying from the constructor');
  ok.start();
  t.same(times(h, isStatus(100)), [0], 'at once on start() with a 0 ms delay');
});

t.test('INVITE server: 100 Trying after 200 ms; 486 retransmitted by G (T1..T2); H = 64*T1 without ACK', async (t) => {
  const h = harness();
  const inv = request('INVITE');
  const tx = new ServerTransaction(h.ctx, inv, UDP, 'k', 'totag');
  tx.start();
  h.clock.advance(199);
  t.same(times(h, isStatus(100)), []);
  h.clock.advance(1);
  t.same(times(h, isStatus(100)), [200]);
  t.equal((h.sent[0][1] as { headers: SipHeaders }).headers.get('to'), '<sip:b@127.0.0.1>', 'no To tag on 100');
  tx.receiveRequest(inv);
  t.same(times(h, isStatus(100)), [200, 200], 'retransmitted INVITE gets the last provisional');
  h.clock.advance(800);
  tx.respond(486);
  let ackTimeout = false;
  tx.on('ackTimeout', () => (ackTimeout = true));
  h.clock.advance(32_000);
  t.same(times(h, isStatus(486)), [1000, 1500, 2500, 4500, 8500, 12500, 16500, 20500, 24500, 28500, 32500]);
  t.ok(ackTimeout, 'timer H');
  t.equal(tx.state, 'terminated');
});

t.test('INVITE server: ACK in Completed -> Confirmed, I = T4 (UDP) absorbs; 0 over TCP', async (t) => {
  const h = harness(0);
  const inv = request('INVITE');
  const tx = new ServerTransaction(h.ctx, inv, UDP, 'k', 'totag');
  tx.start();
  t.same(times(h, isStatus(100)), [0], '100 at once when the delay is 0');
  tx.respond(404);
  tx.receiveRequest(request('ACK'));
  t.equal(tx.state, 'confirmed');
  h.clock.advance(10_000);
  t.same(times(h, isStatus(404)), [0], 'no G after the ACK');
  t.equal(tx.state, 'terminated');
  const h2 = harness();
  const tx2 = new ServerTransaction(h2.ctx, inv, TCP, 'k', 'totag');
  tx2.start();
  tx2.respond(404);
  h2.clock.advance(600);
  t.same(times(h2, isStatus(404)), [0], 'no G over TCP');
  tx2.receiveRequest(request('ACK'));
  h2.clock.advance(0);
  t.equal(tx2.state, 'terminated', 'timer I = 0 over TCP');
});

t.test('INVITE server: 2xx retransmitted T1, 2T1 .. T2 until its ACK; ackTimeout at 64*T1 without one', async (t) => {
  const h = harness();
  const inv = request('INVITE');
  const tx = new ServerTransaction(h.ctx, inv, UDP, 'k', 'totag');
  tx.start();
  tx.respond(200, undefined, { body: 'v=0\r\n', contentType: 'application/sdp' });
  h.clock.advance(3600);
  t.same(times(h, isStatus(200)), [0, 500, 1500, 3500]);
  t.ok(tx.acknowledge());
  h.clock.advance(10_000);
  t.equal(times(h, isStatus(200)).length, 4, 'stopped by the ACK');
  tx.receiveRequest(inv);
  t.equal(times(h, isStatus(200)).length, 4, 'Accepted absorbs INVITE retransmissions');
  const h2 = harness();
  const tx2 = new ServerTransaction(h2.ctx, inv, TCP, 'k', 'totag');
  tx2.start();
  let ackTimeout = false;
  tx2.on('ackTimeout', () => (ackTimeout = true));
  tx2.respond(200);
  h2.clock.advance(32_000);
  t.ok(ackTimeout);
  t.equal(times(h2, isStatus(200)).length, 11, '2xx retransmitted over TCP too (§13.3.1.4)');
});

t.test('non-INVITE server: retransmissions get the last response; J = 64*T1 over UDP, 0 over TCP', async (t) => {
  const h = harness();
  const req = request('OPTIONS');
  const tx = new ServerTransaction(h.ctx, req, UDP, 'k', 'totag');
  tx.start();
  tx.receiveRequest(req);
  t.equal(h.sent.length, 0, 'Trying absorbs');
  tx.respond(200);
  tx.receiveRequest(req);
  t.equal(times(h, isStatus(200)).length, 2);
  t.equal(tx.respond(500), undefined, 'no second final response');
  h.clock.advance(31_999);
  t.equal(tx.state, 'completed');
  h.clock.advance(1);
  t.equal(tx.state, 'terminated');
  const h2 = harness();
  const tx2 = new ServerTransaction(h2.ctx, req, TCP, 'k', 'totag');
  tx2.start();
  tx2.respond(200);
  h2.clock.advance(0);
  t.equal(tx2.state, 'terminated');
});

t.test('server CANCEL: a pending INVITE gets 487 and reports cancel; an answered one does not', async (t) => {
  const h = harness();
  const inv = request('INVITE');
  const tx = new ServerTransaction(h.ctx, inv, UDP, 'k', 'totag');
  tx.start();
  let cancelled = 0;
  tx.on('cancel', () => cancelled++);
  t.ok(tx.cancelled(request('CANCEL')));
  t.equal(cancelled, 1);
  t.same(times(h, isStatus(487)), [0]);
  t.notOk(tx.cancelled(request('CANCEL')), 'already answered');
  const r = h.sent.find(([, m]) => m.kind === 'response' && m.status === 487)?.[1];
  t.match(r?.headers.get('to') ?? '', /;tag=totag$/);
});

t.test('non-INVITE server never answered by the TU is forgotten after 64*T1', async (t) => {
  const h = harness();
  const tx = new ServerTransaction(h.ctx, request('OPTIONS'), UDP, 'k', 'totag');
  tx.start();
  h.clock.advance(31_999);
  t.equal(tx.state, 'trying');
  h.clock.advance(1);
  t.equal(tx.state, 'terminated');
  t.equal(h.sent.length, 0);
  t.equal(h.clock.pending, 0);
});
