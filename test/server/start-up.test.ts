// Start-up as an operator meets it: a taken port is reported with the config key that names it,
// two instances on one host each get a working built-in simulator, and /metrics carries the
// process and Node runtime metrics beside toneguard's own.
import { createServer } from 'node:net';
import { createSocket } from 'node:dgram';
import { once } from 'node:events';
import t from 'tap';
import { startE2eServer } from '../helpers/e2e-server.js';
import { testPort, testPortRange } from '../helpers/ports.js';

const SIP = testPort(5794);

t.test('a SIP or HTTP port in use is reported with its config key', async (t) => {
  const udp = createSocket('udp4');
  udp.bind(SIP, '127.0.0.1');
  await once(udp, 'listening');
  t.teardown(() => udp.close());
  await t.rejects(startE2eServer(t, { sip: { listen: `127.0.0.1:${SIP}` }, http: { listen: '127.0.0.1:0' }, rtp: { ports: testPortRange('37100-37139') } }), {
    code: 'ERR_BIND',
    message: `sip.listen 127.0.0.1:${SIP}: address already in use`,
  });
  const tcp = createServer();
  tcp.listen(0, '127.0.0.1');
  await once(tcp, 'listening');
  t.teardown(() => tcp.close());
  const port = (tcp.address() as { port: number }).port;
  await t.rejects(startE2eServer(t, { sip: { listen: `127.0.0.1:${SIP + 1}` }, http: { listen: `127.0.0.1:${port}` }, rtp: { ports: testPortRange('37100-37139') } }), {
    code: 'ERR_BIND',
    message: `http.listen 127.0.0.1:${port}: address already in use`,
  });
});

t.test('two instances with the same simulator URL both start; payments are said to be simulated', async (t) => {
  const gateway = { kind: 'simulator', url: `https://127.0.0.1:${testPort(8547)}/xml/v1/request.api` };
  const a = await startE2eServer(t, { sip: { listen: `127.0.0.1:${SIP + 2}` }, http: { listen: '127.0.0.1:0' }, rtp: { ports: testPortRange('37140-37179') }, gateway });
  const b = await startE2eServer(t, { sip: { listen: `127.0.0.1:${SIP + 3}` }, http: { listen: '127.0.0.1:0' }, rtp: { ports: testPortRange('37180-37219') }, gateway });
  const simulatorPort = testPort(8547);
  t.match(a.server.banner(), `built-in simulator https://127.0.0.1:${simulatorPort}/`);
  t.notMatch(b.server.banner(), `127.0.0.1:${simulatorPort}/`, 'the second simulator took another port');
  t.ok(
    b.logs.some((l) => l.includes('"level":40') && l.includes(`gateway.url port ${simulatorPort} is in use`)),
    'a warning says where the second simulator is',
  );
  for (const e of [a, b])
    t.ok(
      e.logs.some((l) => /"level":40.*payments are simulated/.test(l)),
      'warn: payments are simulated',
    );
  const metrics = (await a.fetchText('/metrics')).text;
  t.match(metrics, /^process_cpu_user_seconds_total \d/m, 'process metrics');
  t.match(metrics, /^nodejs_eventloop_lag_seconds \d/m, 'Node runtime metrics');
  t.match(metrics, /^toneguard_calls_active /m, "toneguard's own metrics still there");
});
