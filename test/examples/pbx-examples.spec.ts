// The PBX examples (examples/asterisk, examples/freeswitch) and docs/integration.md against the SIP
// contract as the code implements it. Neither Asterisk nor FreeSWITCH is installed here, so the
// PBX files are checked statically: they parse, and every header name, result value and URI in
// them is one toneguard uses. Header names and result values come from the sources, so a header
// or result added to the code without examples and documentation fails here.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { XMLValidator } from 'fast-xml-parser';
import t from 'tap';
import { loadConfigFile } from '../../src/config/load-config.js';
import { PAYMENT_RESULTS } from '../../src/dialog/vocabulary.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const EXAMPLES = join(ROOT, 'examples');
const read = (...parts: string[]): string => readFileSync(join(ROOT, ...parts), 'utf8');

/** `X-Payment-*` names quoted in a source file. */
function quotedHeaders(file: string): Set<string> {
  return new Set([...read(file).matchAll(/'(X-Payment-[A-Za-z0-9-]+)'/g)].map((m) => m[1]));
}

/** The input headers the payment request parser reads (automated mode). */
const INPUT_HEADERS = quotedHeaders('src/dialog/payment-request.ts');
/** The result headers toneguard sends on REFER and BYE. */
const RESULT_HEADERS = quotedHeaders('src/dialog/result-headers.ts');
const lower = (names: Iterable<string>): Set<string> => new Set([...names].map((n) => n.toLowerCase()));

const config = loadConfigFile(join(EXAMPLES, 'config.yaml'));
/** payment.uri as user and host (toneguard matches the Request-URI by these two). */
const PAYMENT = /^sips?:([^@]+)@([^:;>]+)/.exec(config.payment.uri);
const SIP_LISTEN = /^sip:(?:[^@]+@)?([^:;]+):(\d+)/.exec(read('examples/config.yaml').match(/^upstream: "([^"]+)"/m)?.[1] ?? '');

t.test('the contract as the code has it', async (t) => {
  t.same([...INPUT_HEADERS].sort(), ['X-Payment-Amount', 'X-Payment-Call-Type', 'X-Payment-Currency', 'X-Payment-Customer-Id', 'X-Payment-Input', 'X-Payment-Merchant-Id', 'X-Payment-Reference']);
  t.ok(RESULT_HEADERS.has('X-Payment-Result') && RESULT_HEADERS.has('X-Payment-Card-Last4'), [...RESULT_HEADERS].join(', '));
  t.ok(PAYMENT, `payment.uri has a user and a host: ${config.payment.uri}`);
  t.ok(SIP_LISTEN, 'upstream names the PBX address');
});

// --- Asterisk ------------------------------------------------------------------------------

interface ConfLine {
  readonly section: string;
  readonly key: string;
  readonly value: string;
  readonly line: number;
}

/** Asterisk's config format: `[section]`, `key=value` / `key => value`, `;` comments. */
function parseAsteriskConf(text: string): { sections: string[]; lines: ConfLine[]; errors: string[] } {
  const sections: string[] = [];
  const lines: ConfLine[] = [];
  const errors: string[] = [];
  let section = '';
  text.split('\n').forEach((raw, i) => {
    const line = raw.replace(/(^|[^\\]);.*$/, '$1').trim();
    if (line === '') return;
    const header = /^\[([A-Za-z0-9_.-]+)\](\([^)]*\))?$/.exec(line);
    if (header) {
      section = header[1];
      sections.push(section);
      return;
    }
    const kv = /^([A-Za-z_][A-Za-z0-9_]*)\s*(=>|=)\s*(.*)$/.exec(line);
    if (!kv) errors.push(`line ${i + 1}: not a section or key=value: ${raw}`);
    else if (section === '') errors.push(`line ${i + 1}: key outside a section`);
    else lines.push({ section, key: kv[1], value: kv[3], line: i + 1 });
  });
  return { sections, lines, errors };
}

/** Parentheses balance in a dialplan line (a missing one breaks the whole priority). */
function balanced(s: string): boolean {
  let depth = 0;
  for (const c of s) {
    if (c === '(') depth++;
    if (c === ')' && --depth < 0) return false;
  }
  return depth === 0;
}

t.test('examples/asterisk/pjsip.conf: one endpoint towards toneguard at its sip.listen', async (t) => {
  const conf = parseAsteriskConf(read('examples/asterisk/pjsip.conf'));
  t.same(conf.errors, []);
  const of = (section: string, type: string) => {
    const all = conf.lines.filter((l) => l.section === section);
    // pjsip.conf repeats a section name per type: split the lines at each `type=`.
    const groups: ConfLine[][] = [];
    for (const l of all) {
      if (l.key === 'type') groups.push([]);
      groups.at(-1)?.push(l);
    }
    const group = groups.find((g) => g.some((l) => l.key === 'type' && l.value === type)) ?? [];
    return (key: string) => group.find((l) => l.key === key)?.value;
  };
  const endpoint = of('toneguard', 'endpoint');
  t.equal(endpoint('direct_media'), 'no', 'RTP stays anchored through toneguard');
  t.equal(endpoint('allow_transfer'), 'yes', 'toneguard returns calls by REFER');
  t.equal(endpoint('dtmf_mode'), 'rfc4733');
  t.equal(endpoint('context'), 'from-toneguard');
  const transport = of('transport-udp', 'transport');
  t.equal(transport('bind'), `${SIP_LISTEN?.[1]}:${SIP_LISTEN?.[2]}`, "Asterisk listens where toneguard's upstream points");
  const listen = config.sip.listen;
  t.equal(of('toneguard', 'aor')('contact'), `sip:${listen.host}:${listen.port}`, "the AOR is toneguard's sip.listen");
  t.equal(of('toneguard', 'identify')('match'), listen.host);
});

t.test('examples/asterisk/extensions.conf: payment headers, return context and call id', async (t) => {
  const text = read('examples/asterisk/extensions.conf');
  const conf = parseAsteriskConf(text);
  t.same(conf.errors, []);
  const dialplan = conf.lines.filter((l) => l.key === 'exten' || l.key === 'same');
  t.ok(dialplan.length > 20);
  for (const l of dialplan) t.ok(balanced(l.value), `line ${l.line}: parentheses balance`);

  // Every context a Goto, GotoIf or pre-dial handler names exists; every GotoIf label too.
  const contexts = new Set(conf.sections);
  for (const l of dialplan) {
    for (const m of l.value.matchAll(/\bGoto\(([a-z][a-z0-9-]*),[^,()]+,[^,()]+\)/g)) t.ok(contexts.has(m[1]), `line ${l.line}: context ${m[1]} exists`);
    for (const m of l.value.matchAll(/\bb\(([a-z][a-z0-9-]*)\^/g)) t.ok(contexts.has(m[1]), `line ${l.line}: handler ${m[1]} exists`);
    for (const m of [...l.value.matchAll(/\bGotoIf\(.*\?([a-z]+)\)/g), ...l.value.matchAll(/\bGoto\(([a-z]+)\)/g)]) {
      const labels = dialplan.filter((d) => d.section === l.section).map((d) => /^n\(([a-z]+)\)/.exec(d.value)?.[1]);
      t.ok(labels.includes(m[1]), `line ${l.line}: label ${m[1]} exists in [${l.section}]`);
    }
  }

  const added = [...text.matchAll(/PJSIP_HEADER\(add,(X-Payment-[A-Za-z0-9-]+)\)/g)].map((m) => m[1]);
  t.ok(added.length >= 4, `headers added: ${added.join(', ')}`);
  for (const name of added) t.ok(INPUT_HEADERS.has(name), `${name} is an input header toneguard reads`);
  for (const name of ['X-Payment-Customer-Id', 'X-Payment-Amount', 'X-Payment-Currency']) t.ok(added.includes(name), `${name} is sent`);
  t.match(text, /Set\(PJSIP_HEADER\(add,X-Payment-Call-Type\)=automated\)/);

  const readBack = [...text.matchAll(/(?:PJSIP_HEADER\(read,|HASH\(TRANSFER_DATA,)(X-Payment-[A-Za-z0-9-]+)\)/g)].map((m) => m[1]);
  for (const name of readBack) t.ok(RESULT_HEADERS.has(name), `${name} is a result header toneguard sends`);
  for (const name of RESULT_HEADERS) {
    t.ok(readBack.filter((n) => n === name).length === 2, `${name} is read from the REFER (TRANSFER_DATA) and from a new INVITE`);
  }
  t.match(text, /Set\(__GET_TRANSFERRER_DATA=X-Payment-\)/, 'the REFER headers are kept for the transferred channel');
  t.match(text, /Set\(TRANSFER_CONTEXT=toneguard-return\)/);
  t.ok(contexts.has('toneguard-return'));

  // The payment URI: the Dial goes to payment.uri's user at the toneguard endpoint.
  const user = /^TONEGUARD_PAYMENT_USER=(.*)$/m.exec(text)?.[1];
  t.equal(user, PAYMENT?.[1], 'the dialled user is payment.uri');
  t.match(text, /Dial\(PJSIP\/\$\{TONEGUARD_PAYMENT_USER\}@toneguard,/);

  // Every result value toneguard can send has a branch.
  const branches = new Set([...text.matchAll(/"\$\{PAY_RESULT\}" = "([a-z-]+)"/g)].map((m) => m[1]));
  for (const result of PAYMENT_RESULTS) t.ok(branches.has(result), `a branch for ${result}`);
  for (const result of branches) t.ok((PAYMENT_RESULTS as readonly string[]).includes(result), `${result} is a result toneguard sends`);

  t.match(text, /PJSIP_HEADER\(read,X-Toneguard-Call-Id\)/, 'the agent-assisted INVITE gives the call id');
  t.match(text, /CDR\(userfield\)=toneguard-call-id=\$\{TONEGUARD_CALL_ID\}/);
});

// --- FreeSWITCH ----------------------------------------------------------------------------

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

t.test('examples/freeswitch: well-formed XML, header variables of the contract, gateway and bridge', async (t) => {
  const dir = join(EXAMPLES, 'freeswitch');
  const xmlFiles = filesUnder(dir).filter((f) => f.endsWith('.xml'));
  t.equal(xmlFiles.length, 3);
  for (const file of xmlFiles) t.equal(XMLValidator.validate(readFileSync(file, 'utf8')), true, `${file} is well-formed`);

  const gateway = read('examples/freeswitch/sip_profiles/external/toneguard.xml');
  const listen = config.sip.listen;
  t.match(gateway, new RegExp(`<param name="proxy" value="${listen.host.replace(/\./g, '\\.')}:${listen.port}"/>`), "the gateway is toneguard's sip.listen");
  t.match(gateway, /<param name="register" value="false"\/>/);

  const payment = read('examples/freeswitch/dialplan/default/50_toneguard_payment.xml');
  const bridge = /<action application="bridge" data="\{(.*?)\}sofia\/gateway\/toneguard\/([^"]+)"\/>/.exec(payment);
  t.ok(bridge, 'bridges to the toneguard gateway');
  t.equal(bridge?.[2], PAYMENT?.[1], 'the bridged user is payment.uri');
  const sent = [...(bridge?.[1] ?? '').matchAll(/sip_h_(X-Payment-[A-Za-z0-9-]+)=/g)].map((m) => m[1]);
  t.ok(sent.length >= 4, sent.join(', '));
  for (const name of sent) t.ok(INPUT_HEADERS.has(name), `${name} is an input header toneguard reads`);
  // Outside the bridge, X-Payment-* variables are results read back (BYE or a new INVITE).
  const all = xmlFiles
    .map((f) => readFileSync(f, 'utf8'))
    .join('\n')
    .replace(bridge?.[0] ?? '', '');
  const readBack = [...all.matchAll(/sip_(?:bye_)?h_(X-Payment-[A-Za-z0-9-]+)/g)].map((m) => m[1]);
  t.ok(readBack.length >= 14);
  for (const name of readBack) t.ok(RESULT_HEADERS.has(name), `${name} is a result header toneguard sends`);
  for (const name of RESULT_HEADERS) t.match(payment, `\${sip_bye_h_${name}}`, `${name} is read from the BYE`);
  // sip_i_* names: lower case with "_" for "-" (parse-all-invite-headers).
  for (const m of all.matchAll(/sip_i_(x_payment_[a-z0-9_]+)/g)) t.ok(lower([...RESULT_HEADERS].map((n) => n.replace(/-/g, '_'))).has(m[1]), `sip_i_${m[1]} names a result header`);
  t.match(all, /\$\{sip_h_X-Toneguard-Call-Id\}/, 'the agent-assisted INVITE gives the call id');

  // Every result value toneguard can send has a branch (or is named in the fallback's list).
  for (const result of PAYMENT_RESULTS) t.match(payment, new RegExp(`\\^${result}\\$|\\b${result}\\b`), `${result} handled`);
  t.match(payment, /hangup_after_bridge=false/);
});

// --- docs/integration.md -------------------------------------------------------------------

t.test('docs/integration.md documents every header and result value the code has', async (t) => {
  const doc = read('docs/integration.md');
  for (const name of [...INPUT_HEADERS, ...RESULT_HEADERS]) t.match(doc, `| \`${name}\` |`, `${name} has a table row`);
  t.match(doc, 'X-Toneguard-Call-Id: <id>', 'the agent-assisted call id header');
  for (const result of PAYMENT_RESULTS) t.match(doc, `| \`${result}\` |`, `result ${result} has a table row`);
  const documented = [...doc.matchAll(/^\| `([a-z-]+)` \|/gm)].map((m) => m[1]).filter((v) => !v.startsWith('x-'));
  for (const v of documented) t.ok((PAYMENT_RESULTS as readonly string[]).includes(v), `${v} is a result the code has`);
  for (const route of ['GET /calls/:id', 'POST /calls/:id/secure', 'POST /calls/:id/payments', 'POST /calls/:id/payments/:pid', 'GET /calls/:id/payments/:pid', 'DELETE /calls/:id/secure']) {
    t.match(doc, route, `route ${route}`);
  }
  t.match(doc, config.payment.uri, 'the payment URI default');
});

t.test('integration docs and PBX READMEs: links stay in the repository and resolve', async (t) => {
  for (const file of ['docs/integration.md', 'examples/README.md', 'examples/asterisk/README.md', 'examples/freeswitch/README.md']) {
    const text = read(file);
    t.notMatch(text, /\]\((https?:|mailto:)/, `${file}: no links outside the repository`);
    t.notMatch(text, /shared\/|DESIGN\.md/, `${file}: nothing outside the repository named`);
    for (const m of text.matchAll(/\]\(([^)#]+)(#[^)]*)?\)/g)) {
      t.ok(existsSync(join(ROOT, dirname(file), m[1])), `${file}: ${m[1]} exists`);
    }
  }
  for (const file of ['examples/asterisk/README.md', 'examples/freeswitch/README.md']) {
    t.match(read(file), /Not run in this repository's tests.*syntax checked only/s, `${file} says it is not run here`);
  }
});
