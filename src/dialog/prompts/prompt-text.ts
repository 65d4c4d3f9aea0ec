// The prompt vocabulary: every prompt id (the file name of its recording, `<id>.ul` or `<id>.wav`)
// and the English sentence it says. A user's own recorded set needs one file per id; the default
// set is generated from these sentences by fixtures/prompts/make.mjs. Dynamic values (amounts,
// dates, digit strings) are sequences of the word prompts below (compose.ts).

const NUMBER_WORDS = [
  'zero',
  'one',
  'two',
  'three',
  'four',
  'five',
  'six',
  'seven',
  'eight',
  'nine',
  'ten',
  'eleven',
  'twelve',
  'thirteen',
  'fourteen',
  'fifteen',
  'sixteen',
  'seventeen',
  'eighteen',
  'nineteen',
] as const;
const TENS_WORDS = ['twenty', 'thirty', 'forty', 'fifty', 'sixty', 'seventy', 'eighty', 'ninety'] as const;
const MONTH_WORDS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'] as const;

/** Card type names (credit-card-type's `type`) as said after "your ... card" / "we do not accept ... cards". */
const CARD_WORDS: Readonly<Record<string, string>> = {
  visa: 'Visa',
  mastercard: 'Mastercard',
  'american-express': 'American Express',
  discover: 'Discover',
  'diners-club': 'Diners Club',
  jcb: 'J C B',
  unionpay: 'Union Pay',
  maestro: 'Maestro',
  mir: 'Mir',
  elo: 'Elo',
  hiper: 'Hiper',
  hipercard: 'Hipercard',
  troy: 'Troy',
  naranja: 'Naranja',
  verve: 'Verve',
};

const SENTENCES = {
  'press-1-to-pay-balance-of': 'To pay the full balance of',
  'press-1-or-2-for-other-amount': 'press 1. To pay a different amount, press 2.',
  'you-are-paying-amount': 'The amount to pay is',
  'enter-amount': 'Please enter the amount you would like to pay, using the star key for the decimal point, then press the hash key.',
  'amount-below-minimum': 'Sorry, the minimum payment is',
  'amount-above-maximum': 'Sorry, the maximum payment is',
  'amount-above-balance': 'Sorry, that is more than your balance of',
  'amount-invalid': 'Sorry, that is not a valid amount.',
  'enter-card-number': 'Please enter your card number, then press the hash key.',
  'card-number-invalid': 'Sorry, that card number is not valid.',
  'we-do-not-accept': 'Sorry, we do not accept',
  'cards-use-another': 'cards. Please use a different card.',
  'enter-expiry': 'Please enter the expiry date of your card as four digits: two for the month, then two for the year.',
  'expiry-invalid': 'Sorry, that expiry date is not valid.',
  'enter-security-code-3': 'Please enter the three digit security code from the back of your card.',
  'enter-security-code-4': 'Please enter the four digit security code from the front of your card.',
  'security-code-invalid': 'Sorry, that security code is not valid.',
  'no-input': 'Sorry, I did not receive your entry.',
  'invalid-choice': 'Sorry, that is not a valid choice.',
  'star-to-restart': 'To start an entry again, press star.',
  'readback-paying': 'You are paying',
  'readback-with-card': 'with your',
  'readback-card-ending': 'card ending in',
  'readback-expiring': 'expiring',
  'readback-confirm': 'To confirm, press 1. To change a detail, press 2.',
  'which-detail': 'Which detail would you like to change? For the amount, press 1. For the card number, press 2. For the expiry date, press 3. For the security code, press 4.',
  processing: 'Please wait while your payment is processed.',
  // Speech input on (payment.input / X-Payment-Input with speech): the caller may say or key.
  'say-1-or-2-for-other-amount': 'say pay the balance, or press 1. To pay a different amount, say or key 2.',
  'say-amount': 'Please say or key the amount you would like to pay. To key pence, use the star key for the decimal point. Then pause, or press the hash key.',
  'say-card-number': 'Please say or key your card number, then pause, or press the hash key.',
  'say-expiry': 'Please say or key the expiry date of your card as four digits: two for the month, then two for the year.',
  'say-security-code-3': 'Please say or key the three digit security code from the back of your card.',
  'say-security-code-4': 'Please say or key the four digit security code from the front of your card.',
  'say-readback-confirm': 'To confirm, say yes or press 1. To change a detail, say change or press 2.',
  'say-which-detail': 'Which detail would you like to change? For the amount, say or key 1. For the card number, 2. For the expiry date, 3. For the security code, 4.',
  'payment-declined': 'Sorry, your payment was declined.',
  'enter-card-again': 'Please enter your card details again.',
  'payment-error': 'Sorry, we cannot process your payment at the moment.',
  'payment-success': 'Thank you, your payment was successful.',
  'payment-cancelled': 'Your payment has been cancelled. No payment was taken.',
  'your-reference-is': 'Your transaction reference is',
  'too-many-attempts': 'Sorry, we have not been able to take your payment.',
  'transferring-to-agent': 'Please hold while we transfer you to an agent.',
  'identify-first': 'We need to confirm your identity first. Please hold.',
  goodbye: 'Thank you for calling. Goodbye.',
  and: 'and',
  hundred: 'hundred',
  thousand: 'thousand',
  million: 'million',
  billion: 'billion',
  point: 'point',
  oh: 'oh',
  pound: 'pound',
  pounds: 'pounds',
  penny: 'penny',
  pence: 'pence',
  dollar: 'dollar',
  dollars: 'dollars',
  euro: 'euro',
  euros: 'euros',
  cent: 'cent',
  cents: 'cents',
} as const;

export type SentencePromptId = keyof typeof SENTENCES;

function build(): Readonly<Record<string, string>> {
  const text: Record<string, string> = { ...SENTENCES };
  NUMBER_WORDS.forEach((w, n) => (text[`n-${n}`] = w));
  TENS_WORDS.forEach((w, i) => (text[`n-${(i + 2) * 10}`] = w));
  MONTH_WORDS.forEach((w, i) => (text[`month-${i + 1}`] = w));
  for (const [type, word] of Object.entries(CARD_WORDS)) text[`card-${type}`] = word;
  text['card-unknown'] = 'this type of';
  for (let c = 0; c < 26; c++) {
    const letter = String.fromCharCode(97 + c);
    text[`letter-${letter}`] = letter.toUpperCase();
  }
  return Object.freeze(text);
}

/** Every prompt id and its English text (the default set's script, and the TTS fallback's text). */
export const PROMPT_TEXT: Readonly<Record<string, string>> = build();

export const PROMPT_IDS: readonly string[] = Object.freeze(Object.keys(PROMPT_TEXT).sort());

/** The prompt id that names a card type (`card-unknown` for one without a recording). */
export function cardTypePromptId(type: string): string {
  return type in CARD_WORDS ? `card-${type}` : 'card-unknown';
}
