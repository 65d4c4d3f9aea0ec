// Limits on open server transactions, without sockets: in all, per source address, INVITEs not
// yet answered per source, CANCEL always let in, and counts freed when a transaction ends.
import t from 'tap';
import { ManualClock } from '../../src/sip/clock.js';
import { SipHeaders, type SipRequest } from '../../src/sip/message-types.js';
import { DEFAULT_LIMITS } from '../../src/sip/stack-config.js';
import { DEFAULT_TIMERS, type Destination, type TransactionContext } from '../../src/sip/transaction.js';
import { TransactionLimits } from '../../src/sip/transaction-limits.js';
import { ServerTransaction } from '../../src/sip/transaction-server.js';

const A: Destination = { transport: 'udp', address: '192.0.2.1', port: 5060 };
const B: Destination = { transport: 'udp', address: '192.0.2.2', port: 5060 };
const limits = { ...DEFAULT_LIMITS, maxTransactions: 10, maxTransactionsPerSource: 3, maxPendingInvitesPerSource: 1 };
const ctx: TransactionContext = { clock: new ManualClock(), timers: DEFAULT_TIMERS, trying100DelayMs: 200, send: () => undefined, removed: () => undefined };

let n = 0;
function request(method: string): SipRequest {
  n++;
  const headers = new SipHeaders([
    ['Via', `SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK-${n}`],
    ['From', '<sip:a@192.0.2.1>;tag=fa'],
    ['To', '<sip:b@192.0.2.9>'],
    ['Call-ID', `call-${n}`],
    ['CSeq', `1 ${method}`],
  ]);
  return { kind: 'request', method, uri: 'sip:b@192.0.2.9', headers, body: Buffer.alloc(0) };
}

function open(limitsOf: TransactionLimits, method: string, source: Destination): ServerTransaction {
  const tx = new ServerTransaction(ctx, request(method), source, `key-${n}`, 'tag');
  limitsOf.opened(tx, source.address);
  return tx;
}

t.test('over the total: refused with a reason naming the counts, and counted', async (t) => {
  const l = new TransactionLimits(limits);
  t.equal(l.refusal(request('OPTIONS'), A.address, 9), undefined);
  t.equal(l.refusal(request('OPTIONS'), A.address, 10), '192.0.2.1: transaction limit (10 open, 0 from this source)');
  t.equal(l.refused, 1);
  t.equal(l.refusal(request('CANCEL'), A.address, 10), undefined, 'CANCEL only ends a transaction');
  t.equal(l.refused, 1);
});

t.test('per source: one address full does not stop another; an ended transaction frees its count', async (t) => {
  const l = new TransactionLimits(limits);
  const txs = [open(l, 'OPTIONS', A), open(l, 'OPTIONS', A), open(l, 'OPTIONS', A)];
  t.match(l.refusal(request('OPTIONS'), A.address, 3), /3 from this source/);
  t.equal(l.refusal(request('OPTIONS'), B.address, 3), undefined);
  l.closed(txs[0]);
  t.equal(l.refusal(request('OPTIONS'), A.address, 2), undefined);
});

t.test('INVITEs not yet answered per source: refused until the pending one is answered', async (t) => {
  const l = new TransactionLimits(limits);
  const invite = open(l, 'INVITE', A);
  t.type(l.refusal(request('INVITE'), A.address, 1), 'string', 'a second call attempt in progress');
  t.equal(l.refusal(request('OPTIONS'), A.address, 1), undefined, 'other methods are not call attempts');
  t.equal(l.refusal(request('INVITE'), B.address, 1), undefined, 'another source');
  invite.respond(200);
  t.equal(l.refusal(request('INVITE'), A.address, 1), undefined, 'answered: no longer pending');
  invite.terminate();
});
