// Call control against real phones: baresip as the caller and as the agent's phone (the PBX),
// toneguard's CallManager between them with the fake MediaSession (signalling only; the media
// plane's interop is tested with the real MediaSession by the integration suite).
import { writeFileSync } from 'node:fs';
import t from 'tap';
import { CallManager } from '../../src/call/call-manager.js';
import type { Call } from '../../src/call/call.js';
import type { CallEndReason } from '../../src/call/call-types.js';
import { SipStack } from '../../src/sip/sip-stack.js';
import { Baresip, BARESIP_AVAILABLE } from '../helpers/call-baresip.js';
import { FakeMediaSession } from '../helpers/fake-media-session.js';
import { waitFor } from '../helpers/call-sip-peers.js';
import { testPort, testPortRange } from '../helpers/ports.js';

const TG_PORT = testPort(5640);
const AGENT = { sip: testPort(5650), ctrl: testPort(5660), rtp: testPortRange('32640-32649') };
const CALLER = { sip: testPort(5652), ctrl: testPort(5661), rtp: testPortRange('32650-32659') };

t.test('baresip caller -> toneguard -> baresip agent', { skip: BARESIP_AVAILABLE ? false : 'baresip not installed' }, async (t) => {
  const stack = await SipStack.listen({ address: '127.0.0.1', port: TG_PORT, transports: ['udp'] });
  const medias: FakeMediaSession[] = [];
  const ends: { call: Call; reason: CallEndReason }[] = [];
  const answered: Call[] = [];
  const payments: Call[] = [];
  const manager = new CallManager({
    stack,
    upstream: `sip:127.0.0.1:${AGENT.sip}`,
    paymentUri: 'sip:pay@127.0.0.1',
    createMedia: ({ mode }) => {
      const m = new FakeMediaSession(mode);
      medias.push(m);
      return m;
    },
    onPaymentCall: (call) => payments.push(call),
  });
  const warnings: string[] = [];
  stack.on('warning', (w) => warnings.push(w));
  manager.on('warning', (w) => warnings.push(w));
  manager.on('call-end', (call, reason) => ends.push({ call, reason }));
  manager.on('call-answer', (call) => answered.push(call));
  const srtp = process.env.TG_CALL_SRTP !== '0';
  const agent = await Baresip.start('agent', AGENT.sip, AGENT.ctrl, AGENT.rtp, { srtp });
  const caller = await Baresip.start('caller', CALLER.sip, CALLER.ctrl, CALLER.rtp, { srtp });
  t.teardown(async () => {
    manager.close();
    caller.stop();
    agent.stop();
    await stack.close();
  });

  await caller.command('dial', `sip:agent@127.0.0.1:${TG_PORT}`);
  try {
    await waitFor(() => answered.length === 1, 8000);
  } catch (error) {
    t.comment(caller.log.join('').slice(-3000));
    t.comment(agent.log.join('').slice(-3000));
    t.comment(warnings.join('\n'));
    throw error;
  }
  const media = medias[0];
  if (process.env.TG_CALL_DEBUG === '1') t.comment(answered[0].invite.body.toString() + caller.log.join('').slice(0, 2500));
  t.equal(media.lastConfig('caller')?.codec, 'PCMU');
  t.equal(media.lastConfig('agent')?.codec, 'PCMU');
  t.equal(media.lastConfig('caller')?.remote?.address, '127.0.0.1');
  t.not(media.lastConfig('caller')?.remote?.rtpPort, media.lastConfig('agent')?.remote?.rtpPort);
  if (srtp) {
    t.ok(media.lastConfig('caller')?.srtp, 'SRTP on the caller leg');
    t.ok(media.lastConfig('agent')?.srtp, 'SRTP on the agent leg');
    t.not(media.lastConfig('caller')?.srtp?.remoteKeyBase64, media.lastConfig('agent')?.srtp?.remoteKeyBase64);
  }
  await new Promise((resolve) => setTimeout(resolve, 500));
  await caller.command('hangup');
  await waitFor(() => ends.length === 1, 5000);
  t.equal(ends[0].reason, 'caller-hangup');

  await caller.command('dial', `sip:agent@127.0.0.1:${TG_PORT}`);
  await waitFor(() => answered.length === 2, 8000);
  await new Promise((resolve) => setTimeout(resolve, 500));
  await agent.command('hangup');
  await waitFor(() => ends.length === 2, 5000);
  t.equal(ends[1].reason, 'agent-hangup');

  await caller.command('dial', 'sip:pay@127.0.0.1:' + TG_PORT);
  await waitFor(() => payments.length === 1, 8000);
  t.equal(medias[2].mode, 'endpoint');
  await new Promise((resolve) => setTimeout(resolve, 500));
  payments[0].hangupWithResult({ result: 'success', transactionId: '1', cardLast4: '4242' });
  await waitFor(() => ends.length === 3, 5000);
  t.equal(manager.calls().length, 0);
  await new Promise((resolve) => setTimeout(resolve, 300));
  const closed = (log: string[]): number => (log.join('').match(/session closed: Connection reset by peer/g) ?? []).length;
  await waitFor(() => closed(caller.log) >= 2 && closed(agent.log) >= 1, 4000).catch(() => undefined);
  if (process.env.TG_CALL_DEBUG === '1') writeFileSync('/tmp/tg-call-baresip.log', caller.log.join('') + '\n-----\n' + agent.log.join(''));
  t.equal(closed(caller.log), 2, "our BYE closed the caller phone's calls 2 and 3 (the agent's hang-up, the endpoint hang-up)");
  t.equal(closed(agent.log), 1, "our BYE closed the agent phone's call 1 (the caller's hang-up)");
});
