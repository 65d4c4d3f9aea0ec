// Errors of `toneguard verify`, and the codecs it can test. A module of its own so that the CLI
// can parse --codecs and recognise a usage error without loading the SIP stack.
import { CodedError } from '../errors.js';

export type VerifyErrorCode = 'ECALL' | 'EAPI' | 'EUSAGE' | 'EREPORT';
export class VerifyError extends CodedError<VerifyErrorCode> {}

export type VerifyCodec = 'PCMU' | 'PCMA' | 'G722';
export const VERIFY_CODECS: readonly VerifyCodec[] = ['PCMU', 'PCMA', 'G722'];
/** Tested unless --codecs says otherwise: G.711 goes through every PBX; G.722 only where it is enabled end to end. */
export const DEFAULT_VERIFY_CODECS: readonly VerifyCodec[] = ['PCMU', 'PCMA'];
