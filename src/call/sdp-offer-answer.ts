// SDP offer/answer (RFC 3264) for a media-anchoring B2BUA: an offer from one leg becomes our
// offer on the other leg (our address and ports, the codecs we support in the offerer's order
// and payload types), and that leg's answer becomes our answer to the offerer plus the two
// legs' LegMediaConfig. Each SDP we send is written fresh (src/sip/sdp.ts writeSdp), so no
// address, port, key or attribute of one leg reaches the other.
//
// Codecs: PCMU/8000, PCMA/8000, G722/8000 (static PT 9; 16 kHz audio on an 8000 Hz clock, RFC
// 3551 §4.5.2), opus/48000/2 (RFC 7587), telephone-event/8000 (RFC 4733). No transcoding: both
// legs use the codec the answerer picked (first common), each with its own payload type. SRTP: SDES (RFC 4568) AES_CM_128_HMAC_SHA1_80 only, decided per leg: we answer
// with SRTP when that leg offered it, and offer SRTP on the other leg by policy (mirror: when
// the offerer used it). Hold: a=sendonly/recvonly/inactive, or c=0.0.0.0 (RFC 2543 style, read
// as "do not send to me").
import type { AudioCodecName, LegMediaConfig, LegName, LocalMediaAddress } from '../media/media-session.js';
import { AUDIO_CODECS, audioCodecOf, audioLineIndex, sameCodec, supported, usableAudio, usableEvent, type AudioCodecSpec } from './sdp-codecs.js';
import { type Direction, type SdpCodec, type SdpCrypto, type SdpDescription, type SdpMediaLine, type SdpMediaToWrite, writeSdp } from '../sip/sdp.js';
import { effectiveDirection, intersectDirections, reverseDirection } from './sdp-direction.js';
import { SdpError } from './sdp-error.js';
import { carriable, checkRemote, DEFAULT_PTIME_MS, isNullAddress, ptimeWithin, type MediaMode } from './sdp-limits.js';
import { answerCrypto, checkProfile, isSecureProfile, sdesKeys, SRTP_SUITE, usableCrypto, usableCryptoLine } from './sdp-sdes.js';

export { SdpError, type SdpErrorCode } from './sdp-error.js';
// Part of this module's interface since before the codec, SDES and direction helpers had modules
// of their own; the call code and tests import them from here.
export { newSdesKey, SRTP_SUITE } from './sdp-sdes.js';
export { reverseDirection } from './sdp-direction.js';

/** Whether we offer SRTP on the leg we relay an offer to. */
export type SrtpPolicy = 'mirror' | 'never' | 'always';

/** o= of the SDPs we send on one leg; version goes up with each changed SDP (RFC 3264 §8). */
export interface SdpOrigin {
  readonly id: string;
  readonly version: number;
}

function remoteOf(m: SdpMediaLine): LegMediaConfig['remote'] {
  if (isNullAddress(m.address) || m.port === 0) return null;
  return { address: m.address as string, rtpPort: m.port, rtcpPort: m.rtcpPort ?? m.port + 1 };
}

function rtcpAttribute(local: LocalMediaAddress): number | undefined {
  return local.rtcpPort === local.rtpPort + 1 ? undefined : local.rtcpPort;
}

/** Our audio line on our RTP port: `codecs`, their payload types as the formats. */
function ourAudioLine(local: LocalMediaAddress, protocol: string, codecs: readonly SdpCodec[], ptimeMs: number | undefined, direction: Direction, crypto: readonly SdpCrypto[]): SdpMediaToWrite {
  return { media: 'audio', port: local.rtpPort, protocol, formats: codecs.map((c) => String(c.payloadType)), codecs, ptimeMs, direction, rtcpPort: rtcpAttribute(local), crypto };
}

/** Our SDP: our origin and address, these media lines. */
function ourSdp(origin: SdpOrigin, local: LocalMediaAddress, media: readonly SdpMediaToWrite[]): string {
  return writeSdp({ originId: origin.id, originVersion: origin.version, address: local.address, media });
}

/** Our offer on the other leg, remembered to read that leg's answer. */
export interface RelayedOffer {
  readonly sdp: string;
  /** The audio line as we wrote it (our payload types = the offerer's). */
  readonly codecs: readonly SdpCodec[];
  readonly direction: Direction;
  /** Crypto we offered (null: plain RTP) and whether the profile made it mandatory (SAVP). */
  readonly crypto: SdpCrypto | null;
  readonly srtpMandatory: boolean;
  /** Our media address in it (the answer's must be of the same family). */
  readonly local: LocalMediaAddress;
}

export interface RelayOfferInput {
  /** The offer one leg sent us. */
  readonly offer: SdpDescription;
  /** Our media address on the leg we send the offer to. */
  readonly local: LocalMediaAddress;
  readonly origin: SdpOrigin;
  /** Our SDES key on that leg (used when we offer SRTP there). */
  readonly localKeyBase64: string;
  readonly srtp: SrtpPolicy;
}

/** The offer we send to the other leg; throws SdpError (→ 488 to the offerer). */
export function relayOffer(input: RelayOfferInput): RelayedOffer {
  const offered = input.offer.media[audioLineIndex(input.offer)];
  checkProfile(offered);
  checkRemote(offered, input.local);
  const offererCrypto = usableCrypto(offered);
  const codecs = offered.codecs.filter(supported);
  if (!codecs.some(usableAudio)) {
    throw new SdpError('sdp-no-common-codec', 'no offered audio codec is supported (PCMU, PCMA, G722, opus/48000/2)');
  }
  const useSrtp = input.srtp === 'always' || (input.srtp === 'mirror' && offererCrypto !== undefined);
  const srtpMandatory = useSrtp && (input.srtp === 'always' || isSecureProfile(offered.protocol));
  const crypto: SdpCrypto | null = useSrtp ? { tag: 1, suite: SRTP_SUITE, keyBase64: input.localKeyBase64 } : null;
  const direction = effectiveDirection(offered);
  const sdp = ourSdp(input.origin, input.local, [ourAudioLine(input.local, srtpMandatory ? 'RTP/SAVP' : 'RTP/AVP', codecs, ptimeWithin(offered.ptimeMs), direction, crypto === null ? [] : [crypto])]);
  return { sdp, codecs, direction, crypto, srtpMandatory, local: input.local };
}

export interface RelayAnswerInput {
  /** The offer the offering leg sent us. */
  readonly offer: SdpDescription;
  /** What relayOffer sent on the answering leg. */
  readonly relayed: RelayedOffer;
  /** The answering leg's answer. */
  readonly answer: SdpDescription;
  /** Our media address on the offering leg. */
  readonly local: LocalMediaAddress;
  readonly origin: SdpOrigin;
  /** Our SDES key on the offering leg. */
  readonly localKeyBase64: string;
  /** The leg that sent the offer (default caller: the INVITE; agent: a re-INVITE from the PBX). */
  readonly offerLeg?: LegName;
}

export interface RelayedAnswer {
  /** Our answer to the offering leg. */
  readonly sdp: string;
  readonly offerLeg: LegMediaConfig;
  readonly answerLeg: LegMediaConfig;
}

/** Rejected copies of the offer's other m= lines (an answer has as many, RFC 3264 §6). */
function answerLines(offer: SdpDescription, audioIndex: number, audio: SdpMediaToWrite): SdpMediaToWrite[] {
  return offer.media.map((m, i) =>
    i === audioIndex
      ? audio
      : {
          media: m.media,
          port: 0,
          protocol: m.protocol,
          formats: m.formats,
          codecs: [],
          ptimeMs: undefined,
          direction: 'inactive',
          rtcpPort: undefined,
          crypto: [],
        },
  );
}

interface ReadAnswer {
  readonly config: LegMediaConfig;
  readonly chosen: SdpCodec;
  /** The answerer's direction from its own view (c=0.0.0.0 applied). */
  readonly answerDirection: Direction;
}

/** The answering leg's config from its answer to our offer (RFC 3264 §6.1, §8.4). */
function readAnswer(relayed: RelayedOffer, answer: SdpDescription, mode: MediaMode, leg: LegName): ReadAnswer {
  const answered = answer.media.find((m) => m.media === 'audio');
  if (answered === undefined || answered.port === 0) throw new SdpError('sdp-no-common-codec', 'the audio stream was refused');
  checkRemote(answered, relayed.local);
  // The answerer's codec: the first of its list that we offered (RFC 3264 §6.1: the answerer
  // lists what it will use, its preferred first).
  const chosen = answered.codecs.find((c) => usableAudio(c) && relayed.codecs.some((o) => sameCodec(o, c)));
  if (chosen === undefined) throw new SdpError('sdp-no-common-codec', 'the answer names no codec we offered');
  const spec = audioCodecOf(chosen) as AudioCodecSpec;
  let answerCrypto: SdpCrypto | undefined;
  if (relayed.crypto !== null) {
    answerCrypto = answered.crypto.find(usableCryptoLine);
    if (answerCrypto === undefined && relayed.srtpMandatory) {
      throw new SdpError('sdp-answer-invalid', 'SRTP was offered but the answer has no usable key');
    }
  }
  const answerDirection = effectiveDirection(answered);
  return {
    chosen,
    answerDirection,
    config: carriable(mode, leg, {
      remote: remoteOf(answered),
      codec: spec.name,
      payloadType: chosen.payloadType,
      clockRate: spec.clockRate,
      eventPayloadType: answered.codecs.find((c) => usableEvent(c) && c.payloadType !== chosen.payloadType)?.payloadType ?? null,
      ptimeMs: ptimeWithin(answered.ptimeMs) ?? DEFAULT_PTIME_MS,
      // Our view: what we offered, within the reverse of the answer.
      direction: intersectDirections(relayed.direction, reverseDirection(answerDirection)),
      srtp: relayed.crypto === null ? null : sdesKeys(relayed.crypto.keyBase64, answerCrypto),
    }),
  };
}

/**
 * A leg's config from its answer to an offer of ours (localOffer or relayOffer), checked against
 * what the media plane carries in `mode` on `leg`; throws SdpError.
 */
export function acceptAnswer(offer: RelayedOffer, answer: SdpDescription, mode: MediaMode, leg: LegName): LegMediaConfig {
  return readAnswer(offer, answer, mode, leg).config;
}

export interface LocalOfferInput {
  readonly local: LocalMediaAddress;
  readonly origin: SdpOrigin;
  readonly localKeyBase64: string;
  /** Offer SRTP (RTP/SAVP with our key). */
  readonly srtp: boolean;
  /** Audio codecs to offer, preferred first (default PCMU, PCMA, G722, opus); telephone-event/8000 always. */
  readonly codecs?: readonly AudioCodecName[];
  readonly direction?: Direction;
}

/** Payload types of our own offers: RFC 3551 static ones, dynamic ones from 96 (RFC 3551 §6). */
const OUR_PAYLOAD_TYPES: Readonly<Record<AudioCodecName, number>> = { PCMU: 0, PCMA: 8, G722: 9, opus: 96 };
const OUR_EVENT_PAYLOAD_TYPE = 101;

/** An offer of our own, for an offerless INVITE (RFC 3261 §13.2.1: the offer goes in the 2xx). */
export function localOffer(input: LocalOfferInput): RelayedOffer {
  const names = input.codecs ?? ['PCMU', 'PCMA', 'G722', 'opus'];
  const codecs: SdpCodec[] = names.map((name) => {
    const spec = AUDIO_CODECS.find((c) => c.name === name) as AudioCodecSpec;
    return { payloadType: OUR_PAYLOAD_TYPES[name], encoding: name, clockRate: spec.clockRate, channels: spec.channels, fmtp: undefined };
  });
  codecs.push({ payloadType: OUR_EVENT_PAYLOAD_TYPE, encoding: 'telephone-event', clockRate: 8000, channels: 1, fmtp: '0-16' });
  const crypto: SdpCrypto | null = input.srtp ? { tag: 1, suite: SRTP_SUITE, keyBase64: input.localKeyBase64 } : null;
  const direction = input.direction ?? 'sendrecv';
  const sdp = ourSdp(input.origin, input.local, [ourAudioLine(input.local, input.srtp ? 'RTP/SAVP' : 'RTP/AVP', codecs, DEFAULT_PTIME_MS, direction, crypto === null ? [] : [crypto])]);
  return { sdp, codecs, direction, crypto, srtpMandatory: input.srtp, local: input.local };
}

/** Our answer to the offerer from the other leg's answer; throws SdpError (→ 488 / end the call). */
export function relayAnswer(input: RelayAnswerInput): RelayedAnswer {
  const audioIndex = audioLineIndex(input.offer);
  const offered = input.offer.media[audioIndex];
  const offererCrypto = usableCrypto(offered);
  const offerLegName = input.offerLeg ?? 'caller';
  const { config: answerLeg, chosen, answerDirection } = readAnswer(input.relayed, input.answer, 'b2bua', offerLegName === 'caller' ? 'agent' : 'caller');
  const offererCodec = offered.codecs.find((c) => usableAudio(c) && sameCodec(c, chosen)) as SdpCodec;
  const offerEvent = offered.codecs.find((c) => usableEvent(c) && c.payloadType !== offererCodec.payloadType);
  // On the offer leg we write the answerer's direction, within the reverse of the offer.
  const offerLegDirection = intersectDirections(answerDirection, reverseDirection(effectiveDirection(offered)));
  const codecs = offerEvent === undefined ? [offererCodec] : [offererCodec, offerEvent];
  const sdp = ourSdp(
    input.origin,
    input.local,
    answerLines(
      input.offer,
      audioIndex,
      ourAudioLine(
        input.local,
        offered.protocol,
        codecs,
        ptimeWithin(input.answer.media.find((m) => m.media === 'audio')?.ptimeMs),
        offerLegDirection,
        answerCrypto(offererCrypto, input.localKeyBase64),
      ),
    ),
  );
  return {
    sdp,
    offerLeg: carriable('b2bua', offerLegName, {
      remote: remoteOf(offered),
      codec: answerLeg.codec,
      payloadType: offererCodec.payloadType,
      clockRate: answerLeg.clockRate,
      eventPayloadType: offerEvent?.payloadType ?? null,
      ptimeMs: ptimeWithin(offered.ptimeMs) ?? DEFAULT_PTIME_MS,
      direction: offerLegDirection,
      srtp: sdesKeys(input.localKeyBase64, offererCrypto),
    }),
    answerLeg,
  };
}

export interface EndpointAnswerInput {
  readonly offer: SdpDescription;
  readonly local: LocalMediaAddress;
  readonly origin: SdpOrigin;
  readonly localKeyBase64: string;
}

export interface EndpointAnswer {
  readonly sdp: string;
  readonly config: LegMediaConfig;
}

/**
 * Codecs toneguard plays its own prompts in (endpoint mode has no Opus encoder on its send path;
 * G.722 prompts are the 8 kHz prompt PCM upsampled to 16 kHz and encoded).
 */
export const ENDPOINT_CODECS: readonly AudioCodecName[] = ['PCMU', 'PCMA', 'G722'];

/** Our answer when toneguard is the far end (endpoint mode): the offerer's first codec of ENDPOINT_CODECS. */
export function answerAsEndpoint(input: EndpointAnswerInput): EndpointAnswer {
  const audioIndex = audioLineIndex(input.offer);
  const offered = input.offer.media[audioIndex];
  checkProfile(offered);
  checkRemote(offered, input.local);
  const crypto = usableCrypto(offered);
  const chosen = offered.codecs.find((c) => usableAudio(c) && ENDPOINT_CODECS.includes((audioCodecOf(c) as AudioCodecSpec).name));
  if (chosen === undefined) throw new SdpError('sdp-no-common-codec', 'no offered audio codec is one we play here (PCMU, PCMA, G722)');
  const spec = audioCodecOf(chosen) as AudioCodecSpec;
  const event = offered.codecs.find((c) => usableEvent(c) && c.payloadType !== chosen.payloadType);
  const direction = reverseDirection(effectiveDirection(offered));
  const codecs = event === undefined ? [chosen] : [chosen, event];
  const sdp = ourSdp(
    input.origin,
    input.local,
    answerLines(input.offer, audioIndex, ourAudioLine(input.local, offered.protocol, codecs, ptimeWithin(offered.ptimeMs), direction, answerCrypto(crypto, input.localKeyBase64))),
  );
  return {
    sdp,
    config: carriable('endpoint', 'caller', {
      remote: remoteOf(offered),
      codec: spec.name,
      payloadType: chosen.payloadType,
      clockRate: spec.clockRate,
      eventPayloadType: event?.payloadType ?? null,
      ptimeMs: ptimeWithin(offered.ptimeMs) ?? DEFAULT_PTIME_MS,
      direction,
      srtp: sdesKeys(input.localKeyBase64, crypto),
    }),
  };
}
