// Which word model the payment dialog's speech input uses, decided once at start-up: with
// `payment.input` asking for speech, a model that cannot be loaded stops the start (fail closed:
// no payment line that silently ignores callers who speak); with `dtmf` the model is loaded if
// present, so that a call's `X-Payment-Input: speech` can be served, and is refused otherwise.
import type { WordModel } from '../../native-free-dsp/speech-classifier.js';
import type { PaymentInput } from '../dialog/vocabulary.js';
import { CodedError } from '../errors.js';
import { loadWordModel } from './model-file.js';

export class SpeechInputError extends CodedError<'ERR_SPEECH_INPUT'> {
  constructor(message: string, options?: ErrorOptions) {
    super('ERR_SPEECH_INPUT', message, options);
    this.name = 'SpeechInputError';
  }
}

export function speechModelFor(config: { readonly input: PaymentInput; readonly speechModel: string | null }, load: (path?: string) => WordModel = loadWordModel): WordModel | null {
  try {
    return load(config.speechModel ?? undefined);
  } catch (error) {
    if (config.input === 'dtmf') return null;
    throw new SpeechInputError(`payment.input is "${config.input}" but no speech model could be loaded (${(error as Error).message}); set payment.speechModel or payment.input: dtmf`, {
      cause: error,
    });
  }
}
