// End to end: a full automated payment call against a *configured* gateway (kind xml, a
// template file of our own, the gateway's CA file and credentials) instead of the built-in
// simulator. The gateway here is a simulator this test starts itself, so its ledger shows what
// the gateway saw: exactly one charge, for the right amount and card.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { stringify as toYaml } from 'yaml';
import { BUILTIN_TEMPLATES } from '../../src/gateway/builtin-templates.js';
import { startGatewaySimulator } from '../../src/gateway/simulator.js';
import { waitFor } from '../helpers/call-sip-peers.js';
import { cardNeedles, filesUnder, needlesIn, startE2eServer } from '../helpers/e2e-server.js';
import { ScriptedCaller } from '../helpers/scripted-caller.js';
import { testPort, testPortRange } from '../helpers/ports.js';

const SIP = testPort(5749);
const IVR = testPort(5741);
const CALLER_SIP = 0;
const CALLER_RTP = testPort(34540);
const VISA = '4111111111111111';
const EXPIRY = `12${String((new Date().getUTCFullYear() + 3) % 100).padStart(2, '0')}`;
const CVV = '947';
const CREDENTIALS = { name: 'e2e-merchant', transactionKey: 'e2e-key-51c9' };

t.test('a full automated payment through a configured XML gateway template', async (t) => {
  const gateway = await startGatewaySimulator({ listen: `127.0.0.1:${testPort(8554)}`, credentials: CREDENTIALS });
  t.teardown(() => gateway.close());
  // The template file (the Authorize.Net template written out as YAML, loaded from disk) and the CA.
  const files = mkdtempSync(join(tmpdir(), 'toneguard-e2e-gw-'));
  t.teardown(() => rmSync(files, { recursive: true, force: true }));
  const template = join(files, 'gateway-template.yaml');
  writeFileSync(template, toYaml(BUILTIN_TEMPLATES['authorize-net']));
  const caFile = join(files, 'gateway-ca.pem');
  writeFileSync(caFile, gateway.caPem);
  const e = await startE2eServer(t, {
    sip: { listen: `127.0.0.1:${SIP}` },
    http: { listen: '127.0.0.1:0' },
    rtp: { ports: testPortRange('34300-34399') },
    upstream: `sip:127.0.0.1:${IVR}`, // never dialled in automated mode
    payment: { uri: 'sip:pay@127.0.0.1', returnUri: `sip:ivr@127.0.0.1:${IVR}` },
    gateway: { kind: 'xml', template, url: gateway.url, caFile, credentials: CREDENTIALS },
  });
  t.match(e.server.banner(), new RegExp(`gateway: ${gateway.url.replace(/[.?]/g, '\\$&')}`), 'the banner names the configured gateway');

  const c = await ScriptedCaller.start(CALLER_SIP, CALLER_RTP);
  t.teardown(() => c.close());
  t.equal(await c.dial(SIP, 'sip:pay@127.0.0.1', { 'X-Payment-Customer-Id': 'C-1001', 'X-Payment-Amount': '125.50', 'X-Payment-Currency': 'GBP' }), 200);
  const key = async (prompt: string, keys: string) => {
    await e.waitPrompt(prompt);
    await new Promise((r) => setTimeout(r, 300));
    c.rtp.queueKeys(keys, 'rfc4733');
    await c.rtp.drained();
  };
  await key('press-1-to-pay-balance-of', '1');
  await key('enter-card-number', `${VISA}#`);
  await key('enter-expiry', EXPIRY);
  await key('enter-security-code-3', CVV);
  await key('readback-paying', '1');
  await waitFor(() => c.refers.length === 1, 20_000);
  const h = c.referHeaders();
  t.equal(h['X-Payment-Result'], 'success');
  t.equal(h['X-Payment-Card-Last4'], '1111');
  const ledger = gateway.ledger();
  t.equal(ledger.charges, 1, 'one charge at the configured gateway');
  const entries = Object.values(ledger.keys);
  t.equal(entries.length, 1);
  t.equal(entries[0].cardLast4, '1111');
  t.equal(entries[0].amount, '125.50 GBP');
  t.equal(entries[0].transactionId, h['X-Payment-Transaction-Id'], "the transaction id the caller got is the gateway's");
  await e.server.shutdown(0);
  const needles = cardNeedles(VISA, EXPIRY, CVV);
  t.same(needlesIn(JSON.stringify(ledger), needles), [], 'no card data in the gateway ledger');
  t.same(needlesIn(e.logs.join('\n'), needles), [], 'no card data in any log line');
  for (const f of [...filesUnder(e.dir), ...filesUnder(files)]) t.same(needlesIn(f.bytes, needles), [], `no card data in ${f.path}`);
});
