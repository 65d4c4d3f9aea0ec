// The SIP side built from the config: the stack's listeners and limits, the PBX pool with its
// keep-alive probes, and call control's admission, routing, limits and lifetimes. Config keys
// become each layer's options here (seconds to ms); the media and payment hooks are the caller's.
import { randomBytes } from 'node:crypto';
import { CallManager, type CallManagerOptions } from '../call/call-manager.js';
import { UpstreamPool } from '../call/upstream-pool.js';
import type { ToneguardConfig } from '../config/config-schema.js';
import { cidrMatcher } from '../sip/cidr.js';
import { SipStack } from '../sip/sip-stack.js';
import { bindOrExplain, formatHostPort } from './bind-error.js';
import { readKeyFile } from './key-file.js';

/** The stack listening on sip.listen (UDP and TCP) and sip.tls.listen when set. */
export function listenSip(config: ToneguardConfig): Promise<SipStack> {
  const tls = config.sip.tls;
  const sipWhere = formatHostPort(config.sip.listen.host, config.sip.listen.port);
  return bindOrExplain(tls === undefined ? 'sip.listen' : 'sip.listen (or sip.tls.listen)', tls === undefined ? sipWhere : `${sipWhere} (TLS port ${tls.listen.port})`, () =>
    SipStack.listen({
      address: config.sip.listen.host,
      port: config.sip.listen.port,
      transports: tls === undefined ? ['udp', 'tcp'] : ['udp', 'tcp', 'tls'],
      ...(tls === undefined ? {} : { tls: { cert: readKeyFile('sip.tls.certFile', tls.certFile), key: readKeyFile('sip.tls.keyFile', tls.keyFile), port: tls.listen.port } }),
      limits: {
        maxMessageBytes: config.sip.maxMessageBytes,
        maxTransactionsPerSource: config.sip.maxTransactionsPerSource,
        maxConnections: config.sip.maxConnections,
        maxConnectionsPerSource: config.sip.maxConnectionsPerSource,
        reservedConnections: config.sip.reservedConnections,
        firstMessageTimeoutMs: config.sip.firstMessageTimeoutSeconds * 1000,
        tcpIdleTimeoutMs: config.sip.connectionIdleSeconds * 1000,
      },
      trustedSources: config.sip.trustedSources,
    }),
  );
}

/** The PBXs (config `upstream`) with OPTIONS keep-alives per sip.keepalive; not probing until start(). */
export function upstreamPool(config: ToneguardConfig, stack: SipStack): UpstreamPool {
  return new UpstreamPool({
    stack,
    upstreams: config.upstream,
    probe: { intervalMs: config.sip.keepalive.intervalSeconds * 1000, timeoutMs: config.sip.keepalive.timeoutSeconds * 1000, failureThreshold: config.sip.keepalive.failureThreshold },
  });
}

/** Call control over the stack and the pool; `hooks` open each call's media and start automated payments. */
export function callManager(config: ToneguardConfig, stack: SipStack, upstreams: UpstreamPool, hooks: Pick<CallManagerOptions, 'createMedia' | 'onPaymentCall'>): CallManager {
  const sipAuth = config.sip.auth;
  return new CallManager({
    stack,
    admission: {
      trusted: cidrMatcher(config.sip.trustedSources),
      ...(sipAuth.users.length === 0 ? {} : { digest: { realm: sipAuth.realm, users: sipAuth.users, key: randomBytes(32), nonceTtlMs: sipAuth.nonceTtlSeconds * 1000, allowMd5: sipAuth.allowMd5 } }),
    },
    trustedIdentity: cidrMatcher(config.sip.trustedIdentitySources),
    upstream: upstreams,
    inviteTimeoutMs: config.sip.inviteTimeoutMs,
    routes: config.routes.map((r) => ({ user: new RegExp(r.match), upstream: r.upstream })),
    paymentUri: config.payment.uri,
    limits: { maxCalls: config.sip.maxCalls, maxCallsPerSource: config.sip.maxCallsPerSource, reservedCalls: config.sip.reservedCalls },
    lifetime: {
      maxCallMs: config.sip.maxCallSeconds * 1000,
      holdTimeoutMs: config.rtp.holdTimeoutSeconds * 1000,
      sessionTimer: { sessionExpiresS: config.sip.sessionExpiresSeconds, minSeS: config.sip.minSessionExpiresSeconds },
    },
    ...hooks,
  });
}
