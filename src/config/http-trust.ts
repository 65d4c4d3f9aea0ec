// Checks across the http keys that the schema cannot make one key at a time, run when the
// server starts (after every key has its final value): the combinations that would leave the
// HTTP side open or let one secret stand in for another. Each problem names its key.
import type { ToneguardConfig } from './config-schema.js';

const LOOPBACK_V4 = /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/;

export function isLoopbackListen(host: string): boolean {
  const h = host.toLowerCase();
  return h === 'localhost' || h === '::1' || LOOPBACK_V4.test(h);
}

/** Empty when the http keys are safe together; otherwise one line per problem. */
export function httpTrustProblems(http: ToneguardConfig['http']): string[] {
  const problems: string[] = [];
  const listen = http.listen.host.includes(':') ? `[${http.listen.host}]:${http.listen.port}` : `${http.listen.host}:${http.listen.port}`;
  if (http.token === '' && !isLoopbackListen(http.listen.host)) {
    problems.push(`http.token: must be set when http.listen (${listen}) is not a loopback address (an empty token serves loopback clients only)`);
  }
  if (http.webhookSecret !== '' && http.webhookSecret === http.token) {
    problems.push('http.webhookSecret: must differ from http.token (callback receivers know the webhook secret)');
  }
  if (http.widgetTokenKey !== '' && http.widgetTokenKey.length < 32) {
    problems.push('http.widgetTokenKey: must be empty (a random key per process) or at least 32 characters');
  }
  if (http.widgetTokenKey !== '' && (http.widgetTokenKey === http.webhookSecret || http.widgetTokenKey === http.token)) {
    problems.push('http.widgetTokenKey: must differ from http.webhookSecret and http.token (whoever knows it can mint widget tokens)');
  }
  return problems;
}
