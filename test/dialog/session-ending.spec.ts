// The ending policy: from why a payment ended and who is still on the call, the action on the
// call, its headers, and the closing prompt.
import t from 'tap';
import { parseDialogConfig } from '../../src/dialog/dialog-config.js';
import type { PaymentRequest } from '../../src/dialog/payment-request.js';
import { settle, type Ending, type EndingFacts } from '../../src/dialog/session-ending.js';
import { TEST_REQUEST } from '../helpers/payment-harness.js';

const REQUEST: PaymentRequest = TEST_REQUEST;

const FACTS: EndingFacts = {
  request: REQUEST,
  config: parseDialogConfig({ returnUri: 'sip:ivr@127.0.0.1', agentUri: 'sip:agents@127.0.0.1', idvUri: 'sip:idv@127.0.0.1' }),
  callerGone: false,
  agentGone: false,
  cardLast4: '1111',
  cardType: 'visa',
  amountMinor: 12550,
};

const SUCCESS: Ending = { cause: 'approved', result: 'success', reason: null, transactionId: 'T-1', route: 'return', prompt: ['payment-success'] };
const DECLINES: Ending = { cause: 'too-many-declines', result: 'too-many-failed-attempts', reason: 'do-not-honour', route: 'agent', prompt: ['payment-declined'] };

t.test('automated success: REFER back to the IVR (BYE if it fails) with the result headers, then goodbye', async (t) => {
  const s = settle(SUCCESS, FACTS);
  t.match(s.action, { kind: 'refer', purpose: 'return', uri: 'sip:ivr@127.0.0.1', fallback: { kind: 'bye' } });
  t.match(s.headers, { 'X-Payment-Result': 'success', 'X-Payment-Transaction-Id': 'T-1', 'X-Payment-Card-Last4': '1111', 'X-Payment-Card-Type': 'visa', 'X-Payment-Amount': '125.50' });
  t.same(s.prompt, ['payment-success']);
  const bye = settle(SUCCESS, { ...FACTS, config: { ...FACTS.config, returnBy: 'BYE' } });
  t.match(bye, { action: { kind: 'bye' }, prompt: ['payment-success', 'goodbye'] });
});

t.test('the agent route transfers with the context: the original result stays in the reason', async (t) => {
  const s = settle(DECLINES, FACTS);
  t.match(s, { result: 'transferred-to-agent', reason: 'too-many-failed-attempts:do-not-honour', prompt: ['payment-declined', 'transferring-to-agent'] });
  t.match(s.action, { kind: 'refer', purpose: 'agent', uri: 'sip:agents@127.0.0.1', fallback: { kind: 'refer', purpose: 'return', headers: { 'X-Payment-Result': 'too-many-failed-attempts' } } });
  const noAgent = settle(DECLINES, { ...FACTS, config: { ...FACTS.config, agentUri: null } });
  t.match(noAgent, { result: 'too-many-failed-attempts', reason: 'do-not-honour', action: { kind: 'refer', purpose: 'return' } });
});

t.test('not identified: ID&V first, the agent as its fallback', async (t) => {
  const s = settle({ cause: 'not-identified', result: 'not-identified', reason: 'no-customer-id', route: 'agent', idv: true }, FACTS);
  t.match(s, { result: 'not-identified', action: { kind: 'refer', purpose: 'idv', fallback: { kind: 'refer', purpose: 'agent' } }, prompt: ['identify-first'] });
});

t.test('the caller gone: nothing to do on the call and nothing to play, the headers still the result', async (t) => {
  const s = settle(SUCCESS, { ...FACTS, callerGone: true });
  t.match(s, { action: { kind: 'none' }, prompt: [], headers: { 'X-Payment-Result': 'success' } });
});

t.test('agent-assisted: secure mode off with the result; with the agent gone, BYE', async (t) => {
  const assisted = { ...FACTS, request: { ...REQUEST, mode: 'agent-assisted' as const } };
  t.match(settle(DECLINES, assisted), { result: 'too-many-failed-attempts', action: { kind: 'secure-off' }, prompt: ['payment-declined'] });
  t.match(settle(SUCCESS, { ...assisted, agentGone: true }), { action: { kind: 'bye', headers: { 'X-Payment-Result': 'success' } } });
});

t.test('a star exit says no goodbye', async (t) => {
  const s = settle({ cause: 'star-exit', result: 'caller-interrupted-with-star', reason: 'payment-card-number', route: 'return' }, { ...FACTS, config: { ...FACTS.config, returnBy: 'BYE' } });
  t.match(s, { action: { kind: 'bye' }, prompt: [] });
});
