// The result a finished payment hands back (docs/integration.md): `X-Payment-*` headers
// on the REFER or BYE (automated) and the same map in the agent's result event. Never card data
// beyond the last four digits and the card type.
import { formatMinor } from './money.js';
import type { PaymentResult } from './vocabulary.js';

export interface ResultFields {
  readonly result: PaymentResult;
  readonly transactionId: string | null;
  readonly cardLast4: string | null;
  readonly cardType: string | null;
  readonly amountMinor: number | null;
  readonly currency: string;
  readonly reason: string | null;
}

/** Header values must stay one token-ish line: anything else is dropped rather than escaped. */
function safe(value: string): string {
  return value.replace(/[^\x21-\x7e ]/g, '').slice(0, 128);
}

export function resultHeaders(f: ResultFields): Record<string, string> {
  const h: Record<string, string> = { 'X-Payment-Result': f.result };
  if (f.transactionId !== null) h['X-Payment-Transaction-Id'] = safe(f.transactionId);
  if (f.cardLast4 !== null && /^\d{4}$/.test(f.cardLast4)) h['X-Payment-Card-Last4'] = f.cardLast4;
  if (f.cardType !== null) h['X-Payment-Card-Type'] = safe(f.cardType);
  if (f.amountMinor !== null) h['X-Payment-Amount'] = formatMinor(f.amountMinor, f.currency);
  h['X-Payment-Currency'] = f.currency;
  if (f.reason !== null) h['X-Payment-Reason'] = safe(f.reason);
  return h;
}
