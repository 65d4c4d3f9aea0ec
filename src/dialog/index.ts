// The payment dialog's public surface, for call control and the HTTP API.
export * from './vocabulary.js';
export { DEFAULT_CARD_TYPES, DEFAULT_PROMPT_DIR, DialogConfigError, dialogConfigSchema, parseDialogConfig, type DialogConfig, type FailureRoute } from './dialog-config.js';
export { PaymentRequestError, paymentRequestFromApi, paymentRequestFromHeaders, type PaymentRequest, type RequestIds } from './payment-request.js';
export { PaymentSession, type PaymentSessionOptions } from './payment-session.js';
export type { CommandResult, DialogAction, MaskedCapture, PaymentSessionEvents, PaymentSessionResult, PaymentStatus } from './session-events.js';
export type { SpokenInput } from './input-keys.js';
export { STATES, TRANSITIONS, type Cause, type DialogState, type Transition } from './flow.js';
export { ManualTimers, RealTimers, type DialogTimers, type TimerHandle } from './timers.js';
export { resultHeaders, type ResultFields } from './result-headers.js';
export { mapTwilioPayOptions, type MappedPayOptions } from './twilio-pay-options.js';
export { formatMinor, minorDigits, parseDecimalAmount } from './money.js';
export { amountSegments, characterSegments, monthYearSegments, numberSegments, planText, type PromptLocale, type PromptPlan } from './prompts/compose.js';
export { PROMPT_IDS, PROMPT_TEXT } from './prompts/prompt-text.js';
export { PromptError, PromptLibrary, type PromptLibraryOptions } from './prompts/prompt-library.js';
export type { TtsEngine } from './prompts/tts.js';
