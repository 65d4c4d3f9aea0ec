// Templates: the body compiler (placeholders, sections, escaping, card bytes), the built-in
// authorize-net request against the structure Authorize.Net's schema wants, the generic one,
// templates from files, and clear errors for bad templates and bad `gateway:` blocks.
import t from 'tap';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { XMLParser } from 'fast-xml-parser';
import { attemptRef } from '../../src/gateway/attempt-ref.js';
import { authorizeNetStructureProblems } from '../../src/gateway/authorize-net-schema.js';
import { parseGatewayConfig } from '../../src/gateway/create-connector.js';
import { formatMinorAmount, parseDecimalAmount } from '../../src/gateway/currency.js';
import { GatewayConfigError } from '../../src/gateway/gateway-error.js';
import { compileBody, renderBody, type RequestFields } from '../../src/gateway/request-body.js';
import { loadTemplate } from '../../src/gateway/template.js';
import { GENERIC_TEMPLATE } from '../../src/gateway/builtin-templates.js';

const dir = mkdtempSync(join(tmpdir(), 'toneguard-template-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

function fields(overrides: Partial<RequestFields['text']> = {}, secret: Partial<RequestFields['secret']> = {}): RequestFields {
  return {
    text: {
      amount: '10.51',
      amountMinor: '1051',
      currency: 'GBP',
      expiryMonth: '03',
      expiryYear: '2031',
      expiryYear2: '31',
      merchantId: 'm-1',
      reference: 'INV-1',
      customerId: 'c-1',
      description: null,
      idempotencyKey: 'key-1',
      attemptRef: 'key-1',
      credentialName: 'apiLogin',
      credentialKey: 'txKey',
      ...overrides,
    },
    secret: { pan: Buffer.from('4111111111111111'), securityCode: Buffer.from('947'), ...secret },
  };
}

t.test('body compiler: fields, length limits, sections, escaping, card bytes', async (t) => {
  const body = compileBody('<a>{{reference}}</a>{{#description}}<d>{{description:5}}</d>{{/description}}<p>{{pan}}</p>{{#securityCode}}<c>{{securityCode}}</c>{{/securityCode}}');
  t.equal(renderBody(body, fields()).toString(), '<a>INV-1</a><p>4111111111111111</p><c>947</c>');
  t.equal(
    renderBody(body, fields({ reference: `<x a="1">&'`, description: 'abcdefgh' }, { securityCode: null })).toString(),
    '<a>&lt;x a=&quot;1&quot;&gt;&amp;&apos;</a><d>abcde</d><p>4111111111111111</p>',
  );
  t.equal(renderBody(compileBody('<a>{{reference}}</a>'), fields({ reference: 'a\u0000b\u001Fc' })).toString(), '<a>abc</a>', 'characters XML forbids are dropped');
  t.throws(() => renderBody(compileBody('{{pan}}'), fields({}, { pan: Buffer.from('4111<1') })), /ASCII digits/);
  t.throws(() => compileBody('{{cardNumber}}'), /unknown placeholder \{\{cardNumber\}\}/);
  t.throws(() => compileBody('{{#reference}}x'), /never closed/);
  t.throws(() => compileBody('{{/reference}}'), /closes no open/);
  t.throws(() => compileBody('{{pan:4}}'), /cannot be shortened/);
});

t.test('amounts in minor units and decimals per ISO 4217 exponent', async (t) => {
  t.equal(formatMinorAmount(1051, 'GBP'), '10.51');
  t.equal(formatMinorAmount(5, 'USD'), '0.05');
  t.equal(formatMinorAmount(500, 'JPY'), '500');
  t.equal(formatMinorAmount(1234, 'KWD'), '1.234');
  t.equal(parseDecimalAmount('10.51', 'GBP'), 1051);
  t.equal(parseDecimalAmount('10.5', 'GBP'), 1050);
  t.equal(parseDecimalAmount('10', 'GBP'), 1000);
  t.equal(parseDecimalAmount('10.511', 'GBP'), null);
  t.equal(parseDecimalAmount('ten', 'GBP'), null);
});

t.test('attempt reference: short keys unchanged, long ones hashed to 20 characters, stable', async (t) => {
  t.equal(attemptRef('att-1'), 'att-1');
  const long = attemptRef('0b7f3c9e-5a1d-4f2b-9c8e-1234567890ab');
  t.equal(long.length, 20);
  t.equal(attemptRef('0b7f3c9e-5a1d-4f2b-9c8e-1234567890ab'), long);
  t.equal(attemptRef(long), long, 'idempotent on its own output');
});

t.test('authorize-net request: the structure and element order Authorize.Net expects', async (t) => {
  const template = loadTemplate('authorize-net');
  const xml = renderBody(template.body, fields({ reference: 'INVOICE-NUMBER-LONGER-THAN-20', description: 'Balance' })).toString();
  t.same(authorizeNetStructureProblems(xml), []);
  const parsed: unknown = new XMLParser({ preserveOrder: true, ignoreDeclaration: true, parseTagValue: false, ignoreAttributes: true }).parse(xml);
  // Walk the ordered tree to compare the exact sequence of element names.
  const names = (nodes: unknown): string[] => (Array.isArray(nodes) ? nodes.flatMap((n) => Object.keys(n as object).filter((k) => k !== '#text')) : []);
  const child = (nodes: unknown, name: string): unknown => (Array.isArray(nodes) ? (nodes.find((n) => name in (n as object)) as Record<string, unknown> | undefined)?.[name] : undefined);
  const root = child(parsed, 'createTransactionRequest');
  t.same(names(root), ['merchantAuthentication', 'refId', 'transactionRequest']);
  t.same(names(child(root, 'merchantAuthentication')), ['name', 'transactionKey']);
  const request = child(root, 'transactionRequest');
  t.same(names(request), ['transactionType', 'amount', 'currencyCode', 'payment', 'order', 'customer', 'userFields']);
  t.same(names(child(child(request, 'payment'), 'creditCard')), ['cardNumber', 'expirationDate', 'cardCode']);
  t.match(xml, /<transactionType>authCaptureTransaction<\/transactionType>/);
  t.match(xml, /<amount>10\.51<\/amount>/);
  t.match(xml, /<expirationDate>2031-03<\/expirationDate>/);
  t.match(xml, /<refId>key-1<\/refId>/);
  t.match(xml, /<invoiceNumber>INVOICE-NUMBER-LONGE<\/invoiceNumber>/, 'invoiceNumber cut to its 20 characters');
  t.match(xml, /xmlns="AnetApi\/xml\/v1\/schema\/AnetApiSchema.xsd"/);
  // Optional parts vanish without leaving empty elements.
  const bare = renderBody(template.body, fields({ reference: null, merchantId: null }, { securityCode: null })).toString();
  t.same(authorizeNetStructureProblems(bare), []);
  t.notMatch(bare, /cardCode|order|userFields/);
  // The checker notices a wrong order.
  t.match(authorizeNetStructureProblems(xml.replace(/<refId>key-1<\/refId>/, '').replace('</transactionRequest>', '</transactionRequest><refId>x</refId>')), [/refId out of order/]);
});

t.test('generic template renders its documented format', async (t) => {
  const template = loadTemplate('generic');
  const xml = renderBody(template.body, fields()).toString();
  t.match(xml, /<PaymentRequest version="1">/);
  t.match(xml, /<Amount currency="GBP" minor="1051">10\.51<\/Amount>/);
  t.match(xml, /<Card><Number>4111111111111111<\/Number><Expiry>2031-03<\/Expiry><SecurityCode>947<\/SecurityCode><\/Card>/);
  t.match(xml, /<IdempotencyKey>key-1<\/IdempotencyKey>/);
});

t.test('templates from YAML and JSON files; errors name the file and the field', async (t) => {
  const yamlPath = join(dir, 'mine.yaml');
  writeFileSync(
    yamlPath,
    [
      'name: my-gateway',
      'headers: { X-Api-Version: "2" }',
      'body: |',
      '  <Pay><Key>{{idempotencyKey}}</Key><Pan>{{pan}}</Pan><Exp>{{expiryMonth}}{{expiryYear2}}</Exp><Amt>{{amountMinor}}</Amt></Pay>',
      'response:',
      '  rules:',
      '    - { when: { path: "R.@status", equals: "00" }, outcome: approved }',
      '    - { when: { path: "R.@status", in: ["05", "51"] }, outcome: declined }',
      '  transactionId: R.Id',
      '  code: R.@status',
      '  reasons: { "05": do-not-honour, "51": insufficient-funds }',
    ].join('\n'),
  );
  const template = loadTemplate(yamlPath);
  t.equal(template.name, 'my-gateway');
  t.same(template.headers, { 'X-Api-Version': '2' });
  t.match(renderBody(template.body, fields()).toString(), '<Exp>0331</Exp><Amt>1051</Amt>');
  const jsonPath = join(dir, 'mine.json');
  writeFileSync(jsonPath, JSON.stringify({ ...GENERIC_TEMPLATE, name: 'as-json' }));
  t.equal(loadTemplate(jsonPath).name, 'as-json');

  const bad = join(dir, 'bad.yaml');
  writeFileSync(bad, 'name: x\nbody: "<a>{{nope}}</a>"\nresponse: { rules: [], transactionId: "a" }\n');
  t.throws(() => loadTemplate(bad), { code: 'gateway.template', message: /bad\.yaml: template\.response\.rules: .*>=1/ });
  writeFileSync(bad, 'name: x\nbody: "<a>{{nope}}</a>"\nresponse: { rules: [{ when: { path: a, equals: "1" }, outcome: approved }], transactionId: "a" }\n');
  t.throws(() => loadTemplate(bad), { code: 'gateway.template', message: /template\.body: unknown placeholder \{\{nope\}\}/ });
  writeFileSync(bad, 'name: x\nbody: b\nresponse: { rules: [{ when: { path: a, equals: "1", exists: true }, outcome: maybe }], transactionId: "a" }\n');
  t.throws(() => loadTemplate(bad), { message: /template\.response\.rules\.0\.when.*exactly one of equals, in, exists/ });
  t.throws(() => loadTemplate(bad), { message: /template\.response\.rules\.0\.outcome/ });
  writeFileSync(bad, 'name: [unclosed\n');
  t.throws(() => loadTemplate(bad), { code: 'gateway.template', message: /not valid YAML or JSON/ });
  t.throws(() => loadTemplate(join(dir, 'missing.yaml')), { code: 'gateway.template', message: /missing\.yaml: not a built-in template \(authorize-net, generic\) and cannot be read \(ENOENT\)/ });
});

t.test('gateway config: documented defaults, one message per bad field', async (t) => {
  const config = parseGatewayConfig(undefined);
  t.match(config, { kind: 'simulator', template: 'authorize-net', url: 'https://127.0.0.1:8443/xml/v1/request.api', credentials: { name: '', transactionKey: '' }, caFile: '', timeoutMs: 8000 });
  t.equal(parseGatewayConfig({ credentials: { name: 'n' } }).credentials.transactionKey, '');
  let error: unknown;
  try {
    parseGatewayConfig({ kind: 'soap', url: 'http://gw.example/', timeoutMs: -1, surprise: true });
  } catch (e) {
    error = e;
  }
  t.ok(error instanceof GatewayConfigError);
  const message = error instanceof Error ? error.message : '';
  t.match(message, /gateway\.kind: /);
  t.match(message, /gateway\.url: must be an https:\/\/ URL/);
  t.match(message, /gateway\.timeoutMs: /);
  t.match(message, /gateway: Unrecognized key: "surprise"/);
});
