// SRTP/SRTCP for one leg (RFC 3711), keyed by SDES (RFC 4568 a=crypto) with the one suite we
// offer, AES_CM_128_HMAC_SHA1_80: the inline key is base64 of a 16-byte master key followed by
// a 14-byte master salt (RFC 4568 §6.2.1). werift-rtp does the cipher and the rollover counter;
// this wraps it so that a packet that fails authentication or cannot be read is `undefined`
// (dropped and counted by the caller), never an exception.
import { randomBytes } from 'node:crypto';
import { ProtectionProfileAes128CmHmacSha1_80, RtpHeader, SrtcpSession, SrtpSession } from 'werift-rtp';
import type { SdesKeys } from '../media-session.js';
import { MediaError } from '../media-error.js';

const MASTER_KEY_BYTES = 16;
const MASTER_SALT_BYTES = 14;

/** A fresh local SDES key for a=crypto: base64 of 30 random bytes (key || salt). */
export function generateSdesKey(): string {
  return randomBytes(MASTER_KEY_BYTES + MASTER_SALT_BYTES).toString('base64');
}

/** Whether `base64` is exactly the base64 of a 30-byte key||salt (no stray characters or bits). */
export function isCanonicalSdesKey(base64: string): boolean {
  const raw = Buffer.from(base64, 'base64');
  return raw.length === MASTER_KEY_BYTES + MASTER_SALT_BYTES && raw.toString('base64').replace(/=+$/, '') === base64.replace(/=+$/, '');
}

function splitKey(base64: string, which: string): { key: Buffer; salt: Buffer } {
  const raw = Buffer.from(base64, 'base64');
  if (!isCanonicalSdesKey(base64)) {
    // The message names the length only: a key is secret.
    throw new MediaError('EOPTIONS', `${which} SDES key must be base64 of 30 bytes (got ${raw.length} bytes)`);
  }
  return { key: raw.subarray(0, MASTER_KEY_BYTES), salt: raw.subarray(MASTER_KEY_BYTES) };
}

export class SrtpTransform {
  private readonly srtp: SrtpSession;
  private readonly srtcp: SrtcpSession;
  /** Packets that failed authentication or parsing. */
  authFailures = 0;

  constructor(keys: SdesKeys) {
    if (keys.suite !== 'AES_CM_128_HMAC_SHA1_80') throw new MediaError('EOPTIONS', `unsupported SRTP suite ${String(keys.suite)}`);
    const local = splitKey(keys.localKeyBase64, 'local');
    const remote = splitKey(keys.remoteKeyBase64, 'remote');
    const config = {
      keys: { localMasterKey: local.key, localMasterSalt: local.salt, remoteMasterKey: remote.key, remoteMasterSalt: remote.salt },
      profile: ProtectionProfileAes128CmHmacSha1_80,
    };
    this.srtp = new SrtpSession(config);
    this.srtcp = new SrtcpSession(config);
  }

  /** Plain RTP -> SRTP with our key. */
  protectRtp(packet: Uint8Array): Uint8Array | undefined {
    try {
      const buf = toBuffer(packet);
      const header = RtpHeader.deSerialize(buf);
      return this.srtp.encrypt(buf.subarray(header.payloadOffset), header);
    } catch {
      return undefined;
    }
  }

  /** SRTP from the peer -> plain RTP; undefined when it fails authentication. */
  unprotectRtp(packet: Uint8Array): Uint8Array | undefined {
    try {
      return this.srtp.decrypt(toBuffer(packet));
    } catch {
      this.authFailures++;
      return undefined;
    }
  }

  protectRtcp(packet: Uint8Array): Uint8Array | undefined {
    try {
      if (packet.length < 8) return undefined;
      return this.srtcp.encrypt(toBuffer(packet));
    } catch {
      return undefined;
    }
  }

  unprotectRtcp(packet: Uint8Array): Uint8Array | undefined {
    try {
      return this.srtcp.decrypt(toBuffer(packet));
    } catch {
      this.authFailures++;
      return undefined;
    }
  }
}

function toBuffer(packet: Uint8Array): Buffer {
  return Buffer.isBuffer(packet) ? packet : Buffer.from(packet.buffer, packet.byteOffset, packet.byteLength);
}
