// The request body: a template body compiled once into segments, rendered per attempt straight
// into one Buffer. Card data (PAN, security code) is copied byte for byte from the caller's
// Uint8Arrays and never becomes a JS string (strings cannot be wiped); the caller zeroes the
// Buffer after sending. Text values are XML-escaped (XML 1.0 §2.4: & < > and quotes; characters
// XML 1.0 forbids are dropped).
import { isAsciiDigits } from './card-digits.js';

/** Placeholders holding card data: written from bytes, never as strings. */
export const SECRET_FIELDS = ['pan', 'securityCode'] as const;
export type SecretField = (typeof SECRET_FIELDS)[number];

export const TEXT_FIELDS = [
  'amount', // decimal in the currency's minor unit exponent, e.g. 10.51
  'amountMinor', // integer minor units, e.g. 1051
  'currency', // ISO 4217, e.g. GBP
  'expiryMonth', // MM
  'expiryYear', // YYYY
  'expiryYear2', // YY
  'merchantId',
  'reference',
  'customerId',
  'description',
  'idempotencyKey',
  'attemptRef', // the idempotency key in at most 20 characters (Authorize.Net refId)
  'credentialName',
  'credentialKey',
] as const;
export type TextField = (typeof TEXT_FIELDS)[number];
export type TemplateField = SecretField | TextField;

const ALL_FIELDS: ReadonlySet<string> = new Set<string>([...SECRET_FIELDS, ...TEXT_FIELDS]);
const SECRET_SET: ReadonlySet<string> = new Set<string>(SECRET_FIELDS);

export type BodySegment =
  | { readonly kind: 'text'; readonly bytes: Buffer }
  | { readonly kind: 'field'; readonly name: TemplateField; readonly maxChars: number | null }
  | { readonly kind: 'section'; readonly name: TemplateField; readonly children: readonly BodySegment[] };

export interface RequestFields {
  readonly text: Readonly<Record<TextField, string | null>>;
  readonly secret: Readonly<Record<SecretField, Uint8Array | null>>;
}

/** A problem in a template body, with what is wrong; the loader adds the template's name. */
export class TemplateBodyError extends Error {}

function isField(name: string): name is TemplateField {
  return ALL_FIELDS.has(name);
}

const TOKEN = /\{\{\s*([#/]?)\s*([A-Za-z0-9]+)(?::([0-9]{1,4}))?\s*\}\}/g;

/** Parses `{{field}}`, `{{field:N}}`, `{{#field}}…{{/field}}`; throws TemplateBodyError naming the problem. */
export function compileBody(body: string): readonly BodySegment[] {
  const stack: { name: TemplateField | null; children: BodySegment[] }[] = [{ name: null, children: [] }];
  let last = 0;
  const top = (): { name: TemplateField | null; children: BodySegment[] } => stack[stack.length - 1] ?? { name: null, children: [] };
  for (const match of body.matchAll(TOKEN)) {
    const index = match.index;
    if (index > last) top().children.push({ kind: 'text', bytes: Buffer.from(body.slice(last, index), 'utf8') });
    last = index + match[0].length;
    const sigil = match[1] ?? '';
    const name = match[2] ?? '';
    if (!isField(name)) throw new TemplateBodyError(`unknown placeholder {{${sigil}${name}}} (known: ${[...ALL_FIELDS].join(', ')})`);
    if (sigil === '#') {
      stack.push({ name, children: [] });
    } else if (sigil === '/') {
      const open = stack.pop();
      if (open === undefined || open.name !== name) throw new TemplateBodyError(`{{/${name}}} closes no open {{#${name}}}`);
      top().children.push({ kind: 'section', name, children: open.children });
    } else {
      const limit = match[3];
      if (limit !== undefined && SECRET_SET.has(name)) throw new TemplateBodyError(`{{${name}:${limit}}}: card data cannot be shortened`);
      top().children.push({ kind: 'field', name, maxChars: limit === undefined ? null : Number(limit) });
    }
  }
  if (last < body.length) top().children.push({ kind: 'text', bytes: Buffer.from(body.slice(last), 'utf8') });
  if (stack.length !== 1) throw new TemplateBodyError(`{{#${stack[stack.length - 1]?.name ?? ''}}} is never closed`);
  return stack[0]?.children ?? [];
}

// XML 1.0 §2.2 Char: tab, LF, CR and U+0020 upwards except surrogates and U+FFFE/U+FFFF.
const XML_FORBIDDEN = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu;

export function escapeXml(value: string): string {
  return value.replace(XML_FORBIDDEN, '').replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');
}

function isSecret(name: TemplateField): name is SecretField {
  return SECRET_SET.has(name);
}

function hasValue(fields: RequestFields, name: TemplateField): boolean {
  if (isSecret(name)) {
    const bytes = fields.secret[name];
    return bytes !== null && bytes.length > 0;
  }
  const text = fields.text[name];
  return text !== null && text !== '';
}

/** Card fields must be ASCII digits: anything else would need escaping, and is no card. */
export class BadCardFieldError extends Error {}

function collect(segments: readonly BodySegment[], fields: RequestFields, out: Uint8Array[]): void {
  for (const segment of segments) {
    if (segment.kind === 'text') {
      out.push(segment.bytes);
    } else if (segment.kind === 'section') {
      if (hasValue(fields, segment.name)) collect(segment.children, fields, out);
    } else if (isSecret(segment.name)) {
      const bytes = fields.secret[segment.name];
      if (bytes === null) continue;
      if (!isAsciiDigits(bytes)) throw new BadCardFieldError(`${segment.name} must be ASCII digits`);
      out.push(bytes); // copied into the body below, never decoded to a string
    } else {
      const text = fields.text[segment.name] ?? '';
      const cut = segment.maxChars === null ? text : [...text].slice(0, segment.maxChars).join('');
      out.push(Buffer.from(escapeXml(cut), 'utf8'));
    }
  }
}

/**
 * The body for one attempt. Buffer.alloc (not allocUnsafe) so the bytes are in a buffer of
 * their own, not a slice of Node's shared pool, and `fill(0)` after sending wipes all of them.
 */
export function renderBody(segments: readonly BodySegment[], fields: RequestFields): Buffer {
  const pieces: Uint8Array[] = [];
  collect(segments, fields, pieces);
  let length = 0;
  for (const piece of pieces) length += piece.length;
  const body = Buffer.alloc(length);
  let offset = 0;
  for (const piece of pieces) {
    body.set(piece, offset);
    offset += piece.length;
  }
  return body;
}
