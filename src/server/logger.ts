// Structured JSON logs (pino). Card data must never reach a log line: the code never logs it,
// and as a second line of defence every field name that could carry it is redacted wherever
// it appears (two levels deep), and the Authorization header with it.
import { pino, type DestinationStream, type Logger } from 'pino';

const SECRET_KEYS = [
  'pan',
  'cardNumber',
  'paymentCardNumber',
  'cvv',
  'cvc',
  'securityCode',
  'expiry',
  'expirationDate',
  'expiryMonth',
  'expiryYear',
  'password',
  'transactionKey',
  'token',
  'authorization',
];

export const REDACT_PATHS: readonly string[] = [...SECRET_KEYS, ...SECRET_KEYS.map((k) => `*.${k}`), ...SECRET_KEYS.map((k) => `*.*.${k}`), 'req.headers.authorization', 'headers.authorization'];

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

export function createLogger(level: LogLevel, destination?: DestinationStream): Logger {
  const options = { level, base: { service: 'toneguard' }, redact: { paths: [...REDACT_PATHS], censor: '[redacted]' } };
  return destination ? pino(options, destination) : pino(options);
}
