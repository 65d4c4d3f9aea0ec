// Errors of `toneguard verify`, and the codecs it can test. A module of its own so that the CLI
// can parse --codecs and recognise a usage error without loading the SIP stack.
import { CodedError } from '../errors.js';

export type VerifyErrorCode = 'ECALL' | 'EAPI' | 'EUSAGE' | 'EREPORT';
export class VerifyError extends CodedError<VerifyErrorCode> {}

export type VerifyCodec = 'PCMU' | 'PCMA';
export const VERIFY_CODECS: readonly VerifyCodec[] = ['PCMU', 'PCMA'];
