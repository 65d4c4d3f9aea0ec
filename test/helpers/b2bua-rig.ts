// A B2BUA under test: toneguard's CallManager with fake MediaSessions on its own UDP stack,
// between a scripted caller and a scripted PBX (each a Peer on the project's SIP stack).
import type { Test } from 'tap';
import { CallManager, type CallManagerOptions } from '../../src/call/call-manager.js';
import type { Call } from '../../src/call/call.js';
import type { CallEndReason } from '../../src/call/call-types.js';
import { SipStack, type Destination, type Dialog, type ServerTransaction, type SipRequest, type SipStackOptions } from '../../src/sip/sip-stack.js';
import { FakeMediaSession } from './fake-media-session.js';
import { answerInvite, FAST_TIMERS, Peer, sdpBody } from './call-sip-peers.js';

export interface B2buaRig {
  readonly manager: CallManager;
  readonly stack: SipStack;
  readonly caller: Peer;
  readonly pbx: Peer;
  readonly tg: Destination;
  readonly medias: FakeMediaSession[];
  readonly ends: { call: Call; reason: CallEndReason }[];
  readonly warnings: string[];
  /** The PBX's dialogs, by arrival. */
  readonly pbxDialogs: Dialog[];
  uri(user: string): string;
}

export type PbxAnswer = (req: SipRequest, tx: ServerTransaction, pbx: Peer, dialogs: Dialog[]) => void;

/**
 * The PBX answers 180 then 200 with SDP (or as `pbxAnswer` says); in-dialog requests get 200.
 * `options` may be built from the rig's stack (e.g. an UpstreamPool that probes with it).
 */
export async function b2buaRig(
  t: Test,
  options: Partial<CallManagerOptions> | ((stack: SipStack) => Partial<CallManagerOptions>) = {},
  pbxAnswer?: PbxAnswer,
  stackOptions: Partial<SipStackOptions> = {},
): Promise<B2buaRig> {
  const stack = await SipStack.listen({ address: '127.0.0.1', port: 0, transports: ['udp'], timers: FAST_TIMERS, trying100DelayMs: 0, ...stackOptions });
  const caller = await Peer.start();
  const pbx = await Peer.start();
  const medias: FakeMediaSession[] = [];
  const ends: { call: Call; reason: CallEndReason }[] = [];
  const warnings: string[] = [];
  const pbxDialogs: Dialog[] = [];
  const manager = new CallManager({
    stack,
    upstream: pbx.uri,
    paymentUri: 'sip:pay@127.0.0.1',
    createMedia: ({ mode }) => {
      const media = new FakeMediaSession(mode);
      medias.push(media);
      return media;
    },
    ...(typeof options === 'function' ? options(stack) : options),
  });
  manager.on('call-end', (call, reason) => ends.push({ call, reason }));
  manager.on('warning', (w) => warnings.push(w));
  pbx.handler = (req, tx) => {
    if (tx === undefined) return;
    if (req.method === 'INVITE' && pbx.dialogFor(req) === undefined) {
      if (pbxAnswer !== undefined) pbxAnswer(req, tx, pbx, pbxDialogs);
      else {
        answerInvite(pbx, req, tx, 180);
        const d = answerInvite(pbx, req, tx, 200, { body: sdpBody(30000, { address: '127.0.0.9' }), contentType: 'application/sdp' });
        if (d !== undefined) pbxDialogs.push(d);
      }
      return;
    }
    pbx.defaultHandler(req, tx);
  };
  const port = stack.localAddress('udp')?.port ?? 0;
  t.teardown(async () => {
    manager.close();
    await Promise.all([stack.close(), caller.close(), pbx.close()]);
  });
  return {
    manager,
    stack,
    caller,
    pbx,
    medias,
    ends,
    warnings,
    pbxDialogs,
    tg: { transport: 'udp', address: '127.0.0.1', port },
    uri: (user) => `sip:${user}@127.0.0.1:${port}`,
  };
}

/** The caller calls user 100 and the PBX answers: the call is up. */
export async function connectedCall(r: B2buaRig, headers: Record<string, string> = {}) {
  const out = r.caller.invite(r.tg, r.uri('100'), { body: sdpBody(40000, { address: '127.0.0.5' }), headers });
  const final = await out.final;
  return { out, final, dialog: out.dialog as Dialog, media: r.medias[r.medias.length - 1] };
}
