// The base of the engine's errors (STYLE: errors are classes with a code): a code callers can
// switch on, and the message for people.

export class CodedError<Code extends string> extends Error {
  readonly code: Code;
  constructor(code: Code, message: string, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
  }
}
