// What the clamp stage counts, and what it reports for the sender's RTCP (RFC 3550 §6.4.1).

export interface ClampStageStats {
  packetsIn: number;
  packetsOut: number;
  /** Telephone-event packets removed. */
  eventsRemoved: number;
  /** Replacement frames sent. */
  framesInserted: number;
  /** Audio packets dropped because replacement already covered their time. */
  audioCovered: number;
  duplicates: number;
  /** Unreadable packets (secure mode: dropped; otherwise passed). */
  malformed: number;
  /** Other payload types (and unreadable audio) dropped in secure mode. */
  unknownPayload: number;
  /** Event packets from an SSRC other than the audio's (dropped in secure mode). */
  foreignSsrc: number;
  /** Late packets whose place in the sequence was lost (older than the rewriter's history). */
  unplaceable: number;
  /** Audio payloads the audio clamp decoded (secure mode only, except a stateful decoder's: every one). */
  decoded: number;
  /** Of those, payloads the codec could not decode (their time is silence). */
  decodeErrors: number;
  /** Audio payloads not decoded: over 120 ms, or late or duplicate for a stateful decoder (their time is silence). */
  notDecoded: number;
  /** Gaps in the audio after which a stateful decoder's resynchronisation time was muted. */
  resyncs: number;
  /** Frames the codec could not encode (not sent). */
  encodeErrors: number;
}

/** All counts at zero. */
export function newStageStats(): ClampStageStats {
  return {
    packetsIn: 0,
    packetsOut: 0,
    eventsRemoved: 0,
    framesInserted: 0,
    audioCovered: 0,
    duplicates: 0,
    malformed: 0,
    unknownPayload: 0,
    foreignSsrc: 0,
    unplaceable: 0,
    decoded: 0,
    decodeErrors: 0,
    notDecoded: 0,
    resyncs: 0,
    encodeErrors: 0,
  };
}

/** Adjustments of what was sent against what the sender sent (RTCP SR, RFC 3550 §6.4.1). */
export interface SentAdjustment {
  /** Packets sent minus packets received (duplicates excluded). */
  packets: number;
  /** Payload octets sent minus received. */
  octets: number;
}
