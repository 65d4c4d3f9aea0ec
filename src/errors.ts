// The base of the engine's errors (STYLE: errors are classes with a code): a code callers can
// switch on, and the message for people.

export class CodedError<Code extends string> extends Error {
  readonly code: Code;
  constructor(code: Code, message: string, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
  }
}

/** The message of anything thrown (an Error's message; otherwise its text), for a log line or a report. */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
