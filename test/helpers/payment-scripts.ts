// Scripted payment calls with known outcomes, for the end-to-end KPI tests: each script places
// one call through a PaymentCaller to toneguard's payment URI and keys what a caller would,
// step by step. Between steps it waits for the dialog to reach the next state, read from the
// instance's own HTTP API (GET /calls/:id, GET /calls/:id/payments/:pid), so that the keys and
// the hang-ups land in the intended step whatever the machine's load.
import type { Destination } from '../../src/sip/sip-stack.js';
import type { CallEnd, PaymentCall, PaymentCaller } from './payment-caller.js';

export const VISA = '4111111111111111';
export const MASTERCARD = '5555555555554444';
/** The simulator declines a card ending 0002 (do-not-honour). */
export const DECLINED_VISA = '4000000000000002';
export const EXPIRY = '1230';
export const CVV = '123';

export interface ScriptTarget {
  readonly caller: PaymentCaller;
  /** Where INVITEs go (toneguard or Kamailio). */
  readonly target: Destination;
  /** toneguard's payment URI. */
  readonly uri: string;
  /** The HTTP base of the instance(s) that may take the call (the one that has it is found). */
  readonly httpUrls: readonly string[];
  /** RTP port for the next call (0: ephemeral). */
  readonly rtpPort: () => number;
}

export interface ScriptOutcome {
  readonly name: string;
  readonly callId: string;
  readonly answeredBy: number;
  /** X-Payment-Result the caller was told (Refer-To headers or BYE headers); null after our own BYE. */
  readonly result: string | null;
  readonly headers: Readonly<Record<string, string>>;
  readonly end: CallEnd;
  /** RTP packets toneguard sent the caller (its prompts). */
  readonly rtpReceived: number;
}

async function json(url: string): Promise<unknown> {
  const res = await fetch(url);
  if (!res.ok) return undefined;
  return res.json();
}

/** The dialog state of the payment on `callId` (looked up on every instance given), or null. */
async function paymentState(urls: readonly string[], callId: string): Promise<string | null> {
  const id = encodeURIComponent(callId);
  for (const base of urls) {
    const call = (await json(`${base}/calls/${id}`).catch(() => undefined)) as { paymentId?: string | null } | undefined;
    if (call?.paymentId === undefined || call.paymentId === null) continue;
    const payment = (await json(`${base}/calls/${id}/payments/${encodeURIComponent(call.paymentId)}`).catch(() => undefined)) as { state?: string } | undefined;
    if (payment?.state !== undefined) return payment.state;
  }
  return null;
}

export async function waitState(urls: readonly string[], callId: string, state: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: string | null = null;
  for (;;) {
    last = await paymentState(urls, callId);
    if (last === state) return;
    if (Date.now() > deadline) throw new Error(`call ${callId}: payment state ${last ?? 'none'}, wanted ${state} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 40));
  }
}

/** Every script: a name and what the caller does once the call is answered. */
export type Script = (s: ScriptTarget, call: PaymentCall) => Promise<void>;

const headersFor = (customerId: string | null): Record<string, string> => ({
  ...(customerId === null ? {} : { 'X-Payment-Customer-Id': customerId }),
  'X-Payment-Amount': '25.00',
  'X-Payment-Currency': 'GBP',
  'X-Payment-Merchant-Id': 'M-KPI',
  'X-Payment-Reference': 'INV-1',
});

/** Card number keys: `#` ends a number shorter than its type's longest length (visa 16 of 19). */
function cardKeys(card: string): string {
  return card.startsWith('4') ? `${card}#` : card;
}

async function payCard(s: ScriptTarget, call: PaymentCall, card: string): Promise<void> {
  await waitState(s.httpUrls, call.callId, 'card-number');
  await call.press(cardKeys(card));
  await waitState(s.httpUrls, call.callId, 'expiry');
  await call.press(EXPIRY);
  await waitState(s.httpUrls, call.callId, 'security-code');
  await call.press(CVV);
  await waitState(s.httpUrls, call.callId, 'confirmation');
  await call.press('1');
}

export const SCRIPTS = {
  /** Pays the balance with a good card: success. */
  success:
    (card: string): Script =>
    async (s, call) => {
      await waitState(s.httpUrls, call.callId, 'amount-choice');
      await call.press('1');
      await payCard(s, call, card);
    },
  /** A card the gateway declines, twice (maxDeclines 2): too-many-failed-attempts. */
  declinedTwice: (): Script => async (s, call) => {
    await waitState(s.httpUrls, call.callId, 'amount-choice');
    await call.press('1');
    await payCard(s, call, DECLINED_VISA);
    await payCard(s, call, DECLINED_VISA);
  },
  /** Hangs up while the balance choice is offered: caller-hung-up at `amount`. */
  hangUpAtAmount: (): Script => async (s, call) => {
    await waitState(s.httpUrls, call.callId, 'amount-choice');
    await call.hangUp();
  },
  /** Hangs up after four digits of the card number: caller-hung-up at `card-number`. */
  hangUpAtCardNumber: (): Script => async (s, call) => {
    await waitState(s.httpUrls, call.callId, 'amount-choice');
    await call.press('1');
    await waitState(s.httpUrls, call.callId, 'card-number');
    await call.press(VISA.slice(0, 4));
    await call.hangUp();
  },
  /** Hangs up after one digit of the security code: caller-hung-up at `security-code`. */
  hangUpAtSecurityCode: (): Script => async (s, call) => {
    await waitState(s.httpUrls, call.callId, 'amount-choice');
    await call.press('1');
    await waitState(s.httpUrls, call.callId, 'card-number');
    await call.press(cardKeys(MASTERCARD));
    await waitState(s.httpUrls, call.callId, 'expiry');
    await call.press(EXPIRY);
    await waitState(s.httpUrls, call.callId, 'security-code');
    await call.press('1');
    await call.hangUp();
  },
  /** Nothing to do: toneguard returns the call at once (no customer ID). */
  idle: (): Script => async () => undefined,
};

/** Places one call with the X-Payment-* headers (no customer ID when `customerId` is null) and runs the script to the end of the call. */
export async function runScript(s: ScriptTarget, name: string, customerId: string | null, script: Script, endTimeoutMs = 60_000): Promise<ScriptOutcome> {
  const call = await s.caller.call({ target: s.target, uri: s.uri, headers: headersFor(customerId), rtpPort: s.rtpPort() });
  await script(s, call);
  const end = await Promise.race([
    call.ended,
    new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`${name}: call ${call.callId} not ended within ${endTimeoutMs} ms`)), endTimeoutMs).unref()),
  ]);
  const headers = call.referHeaders ?? (end.by === 'remote-bye' ? end.headers : {});
  return { name, callId: call.callId, answeredBy: call.answeredBy, result: headers['X-Payment-Result'] ?? null, headers, end, rtpReceived: call.rtpReceived };
}
