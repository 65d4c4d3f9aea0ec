// What the caller hears on entering each state: the keypad wording, or with speech input on in an
// automated payment the "say or key" wording (the keypad stays live either way), and the readback
// before confirming. Pure. The readback says the card type and last four digits only; the expiry
// is marked for the caller's ears, never the agent's.
import type { CardType, Expiry } from './card-checks.js';
import type { DialogConfig } from './dialog-config.js';
import type { DialogState } from './flow.js';
import type { PaymentRequest } from './payment-request.js';
import { amountSegments, callerOnly, characterSegments, monthYearSegments, type PlanPart } from './prompts/compose.js';
import { cardTypePromptId } from './prompts/prompt-text.js';

/** What the readback says (PaymentCapture is one). */
export interface ReadbackFacts {
  readonly amountMinor: number | null;
  readonly card: CardType | null;
  readonly last4: string | null;
  readonly expiry: Expiry | null;
}

/** The prompt of `state` (empty for a state that asks nothing). */
export function statePrompt(state: DialogState, request: PaymentRequest, config: DialogConfig, facts: ReadbackFacts): PlanPart[] {
  const balance = (): string[] => amountSegments(request.amountMinor ?? 0, request.currency, config.locale);
  const codeSize = facts.card?.securityCodeSize ?? 3;
  if (request.input !== 'dtmf' && request.mode === 'automated') {
    switch (state) {
      case 'amount-choice':
        return ['press-1-to-pay-balance-of', ...balance(), 'say-1-or-2-for-other-amount'];
      case 'amount-entry':
        return ['say-amount'];
      case 'card-number':
        return ['say-card-number'];
      case 'expiry':
        return ['say-expiry'];
      case 'security-code':
        return [codeSize === 4 ? 'say-security-code-4' : 'say-security-code-3'];
      case 'confirmation':
        return [...readback(request, config, facts).slice(0, -1), 'say-readback-confirm'];
      case 'change-choice':
        return ['say-which-detail'];
      default:
        break;
    }
  }
  switch (state) {
    case 'amount-choice':
      return ['press-1-to-pay-balance-of', ...balance(), 'press-1-or-2-for-other-amount'];
    case 'amount-entry':
      return ['enter-amount'];
    case 'card-number':
      return ['enter-card-number'];
    case 'expiry':
      return ['enter-expiry'];
    case 'security-code':
      return [codeSize === 4 ? 'enter-security-code-4' : 'enter-security-code-3'];
    case 'confirmation':
      return readback(request, config, facts);
    case 'change-choice':
      return ['which-detail'];
    case 'processing':
      return ['processing'];
    default:
      return [];
  }
}

/** Amount, card type, last four digits, expiry (never the rest; the expiry for the caller's ears only), then the choice. */
function readback(request: PaymentRequest, config: DialogConfig, facts: ReadbackFacts): PlanPart[] {
  const out: PlanPart[] = ['readback-paying', ...amountSegments(facts.amountMinor ?? 0, request.currency, config.locale)];
  if (facts.card !== null && facts.last4 !== null) {
    out.push('readback-with-card', cardTypePromptId(facts.card.type), 'readback-card-ending', ...characterSegments(facts.last4));
  }
  if (facts.expiry !== null) out.push(...callerOnly(['readback-expiring', ...monthYearSegments(facts.expiry.month, facts.expiry.year, config.locale)]));
  out.push('readback-confirm');
  return out;
}
