// SRTP keyed by SDES (RFC 4568) in offer/answer: AES_CM_128_HMAC_SHA1_80 only, the one suite
// the media plane's SRTP transform implements.
import { randomBytes } from 'node:crypto';
import type { SdesKeys } from '../media/media-session.js';
import { isCanonicalSdesKey } from '../media/relay/srtp-transform.js';
import type { SdpCrypto, SdpMediaLine } from '../sip/sdp.js';
import { SdpError } from './sdp-error.js';

export const SRTP_SUITE = 'AES_CM_128_HMAC_SHA1_80';
/** AES-128 key (16 bytes) || salt (14 bytes), RFC 4568 §6.2.1. */
const SDES_KEY_BYTES = 30;

/** A fresh SDES inline key for AES_CM_128_HMAC_SHA1_80: base64 of 30 random bytes. */
export function newSdesKey(): string {
  return randomBytes(SDES_KEY_BYTES).toString('base64');
}

/** The crypto line we can key SRTP with (the exact 30-byte key, RFC 4568 §6.2.1). */
export function usableCryptoLine(c: SdpCrypto): boolean {
  return c.suite === SRTP_SUITE && isCanonicalSdesKey(c.keyBase64);
}

export function isSecureProfile(protocol: string): boolean {
  return /^RTP\/SAVPF?$/i.test(protocol);
}

export function checkProfile(m: SdpMediaLine): void {
  if (!/^RTP\/S?AVPF?$/i.test(m.protocol)) {
    throw new SdpError('sdp-srtp-unsupported', `media profile ${m.protocol} is not supported (RTP/AVP or RTP/SAVP with SDES)`);
  }
}

/** The offered crypto line we can use, or undefined; SAVP without one cannot be answered. */
export function usableCrypto(m: SdpMediaLine): SdpCrypto | undefined {
  const crypto = m.crypto.find(usableCryptoLine);
  if (crypto === undefined && isSecureProfile(m.protocol)) {
    throw new SdpError('sdp-srtp-unsupported', `SRTP offered without a usable ${SRTP_SUITE} key`);
  }
  return crypto;
}

/** Our crypto line answering the offerer's usable one (same tag, our key), if it had one. */
export function answerCrypto(offered: SdpCrypto | undefined, localKeyBase64: string): SdpCrypto[] {
  return offered === undefined ? [] : [{ tag: offered.tag, suite: SRTP_SUITE, keyBase64: localKeyBase64 }];
}

/** A leg's SRTP keys, ours and the far end's; null (plain RTP) when the far end gave no usable key. */
export function sdesKeys(local: string, remote: SdpCrypto | undefined): SdesKeys | null {
  return remote === undefined ? null : { suite: SRTP_SUITE, localKeyBase64: local, remoteKeyBase64: remote.keyBase64 };
}
