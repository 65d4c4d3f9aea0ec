// A CallManager on a real UDP SIP stack between a scripted caller and a scripted PBX that answers
// every INVITE with 200 (fake media): for tests of what crosses from one side to the other.
import type { Test } from 'tap';
import { CallManager, type CallManagerOptions } from '../../src/call/call-manager.js';
import type { UpstreamPool } from '../../src/call/upstream-pool.js';
import { SipStack, type Destination, type Dialog } from '../../src/sip/sip-stack.js';
import { FakeMediaSession } from './fake-media-session.js';
import { answerInvite, FAST_TIMERS, Peer, sdpBody } from './call-sip-peers.js';

export interface PbxRig {
  readonly manager: CallManager;
  readonly caller: Peer;
  readonly pbx: Peer;
  readonly tg: Destination;
  readonly pbxDialogs: Dialog[];
  readonly warnings: string[];
  uri(user: string): string;
}

export async function pbxRig(
  t: Test,
  options: Partial<Omit<CallManagerOptions, 'stack' | 'upstream' | 'createMedia'>> & { readonly upstreamPool?: (stack: SipStack) => UpstreamPool } = {},
): Promise<PbxRig> {
  const stack = await SipStack.listen({ address: '127.0.0.1', port: 0, transports: ['udp'], timers: FAST_TIMERS, trying100DelayMs: 0 });
  const caller = await Peer.start();
  const pbx = await Peer.start();
  const pbxDialogs: Dialog[] = [];
  const warnings: string[] = [];
  const { upstreamPool, ...rest } = options;
  const manager = new CallManager({ stack, upstream: upstreamPool?.(stack) ?? pbx.uri, createMedia: ({ mode }) => new FakeMediaSession(mode), ...rest });
  manager.on('warning', (w) => warnings.push(w));
  pbx.handler = (req, tx) => {
    if (tx !== undefined && req.method === 'INVITE' && pbx.dialogFor(req) === undefined) {
      const d = answerInvite(pbx, req, tx, 200, { body: sdpBody(30000), contentType: 'application/sdp' });
      if (d !== undefined) pbxDialogs.push(d);
      return;
    }
    pbx.defaultHandler(req, tx);
  };
  const port = stack.localAddress('udp')?.port ?? 0;
  t.teardown(async () => {
    manager.close();
    await Promise.all([stack.close(), caller.close(), pbx.close()]);
  });
  return { manager, caller, pbx, pbxDialogs, warnings, tg: { transport: 'udp', address: '127.0.0.1', port }, uri: (user) => `sip:${user}@127.0.0.1:${port}` };
}
