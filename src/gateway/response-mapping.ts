// The gateway's XML answer -> ChargeOutcome, by a template's rules (pure). Elements are
// addressed by dotted paths from the root element; namespace prefixes are dropped, `[n]` picks
// the n-th of repeated elements (the first by default), `@name` an attribute.
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import type { ChargeOutcome } from './connector.js';
import type { Condition, ResponseMapping } from './template-schema.js';

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@',
  textNodeName: '#text',
  removeNSPrefix: true,
  // Keep every value a string: "0012" must stay "0012", not 12.
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: true,
  processEntities: true,
});

export type ParsedXml = Readonly<Record<string, unknown>>;

/** null when `text` is not well-formed XML. */
export function parseXml(text: string): ParsedXml | null {
  const clean = text.replace(/^\uFEFF/, ''); // Authorize.Net may send a byte order mark
  if (clean.trim() === '' || XMLValidator.validate(clean) !== true) return null;
  const value: unknown = parser.parse(clean);
  return typeof value === 'object' && value !== null ? (value as ParsedXml) : null;
}

function child(node: unknown, key: string, index: number | null): unknown {
  if (typeof node !== 'object' || node === null) return undefined;
  const value: unknown = (node as Record<string, unknown>)[key];
  if (Array.isArray(value)) return value[index ?? 0];
  return index === null || index === 0 ? value : undefined;
}

/** The text at `path`, or null when absent or not a leaf. */
export function selectText(document: ParsedXml, path: string): string | null {
  let node: unknown = document;
  for (const segment of path.split('.')) {
    const match = /^([^[\]]+)(?:\[([0-9]+)\])?$/.exec(segment);
    if (match === null) return null;
    const node0 = Array.isArray(node) ? node[0] : node;
    node = child(node0, match[1] ?? '', match[2] === undefined ? null : Number(match[2]));
    if (node === undefined) return null;
  }
  if (Array.isArray(node)) node = node[0];
  if (typeof node === 'string') return node;
  if (typeof node === 'object' && node !== null) {
    const text: unknown = (node as Record<string, unknown>)['#text'];
    if (typeof text === 'string') return text;
    if (typeof text === 'number') return String(text);
    return '';
  }
  if (typeof node === 'number' || typeof node === 'boolean') return String(node);
  return null;
}

function firstPresent(document: ParsedXml, paths: readonly string[] | undefined): string | null {
  for (const path of paths ?? []) {
    const value = selectText(document, path);
    if (value !== null && value !== '') return value;
  }
  return null;
}

function holds(document: ParsedXml, condition: Condition): boolean {
  const value = selectText(document, condition.path);
  if (condition.exists !== undefined) return condition.exists === (value !== null);
  if (value === null) return false;
  if (condition.equals !== undefined) return value === condition.equals;
  return condition.in?.includes(value) ?? false;
}

/** Free text from a gateway as a reason token: lower case, dashes, at most 64 characters. */
function asReasonToken(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 64);
}

/** What the mapping made of an answer, with whether a rule matched at all. */
export type MappedResponse = { readonly kind: 'mapped'; readonly outcome: ChargeOutcome } | { readonly kind: 'unmapped'; readonly detail: 'malformed-xml' | 'no-rule-matched' | 'no-transaction-id' };

export function mapResponse(body: string, mapping: ResponseMapping): MappedResponse {
  const document = parseXml(body);
  if (document === null) return { kind: 'unmapped', detail: 'malformed-xml' };
  const rule = mapping.rules.find((r) => r.when.every((condition) => holds(document, condition)));
  if (rule === undefined) return { kind: 'unmapped', detail: 'no-rule-matched' };
  if (rule.outcome === 'approved') {
    const transactionId = firstPresent(document, mapping.transactionId);
    if (transactionId === null) return { kind: 'unmapped', detail: 'no-transaction-id' };
    return { kind: 'mapped', outcome: { kind: 'approved', transactionId, authCode: firstPresent(document, mapping.authCode) } };
  }
  const code = firstPresent(document, mapping.code);
  const sent = firstPresent(document, mapping.reasonPath);
  const fromCode = code === null ? undefined : mapping.reasons[code];
  const fallback = rule.outcome === 'declined' ? 'declined' : 'gateway-error';
  const reason = rule.reason ?? fromCode ?? (sent === null ? null : asReasonToken(sent) || null) ?? fallback;
  if (rule.outcome === 'declined') return { kind: 'mapped', outcome: { kind: 'declined', reason, code } };
  // The gateway answered that it did not process the request: nothing was charged.
  return { kind: 'mapped', outcome: { kind: 'error', reason, outcomeUnknown: false } };
}
