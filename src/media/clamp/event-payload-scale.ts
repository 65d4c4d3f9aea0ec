// Telephone-event durations a peer counts on a slower clock than the leg's RTP clock (events/8000
// on a 48 kHz Opus leg: ClampStageOptions.eventDurationScale), scaled up to the RTP clock so the
// clamp stage places every event in RTP time.

/**
 * `payload` (RFC 4733 §2.3) with its duration times `scale`, written to `scratch` (4 bytes); the
 * payload itself when `scale` is 1 or it is too short to hold a duration.
 */
export function scaleEventPayload(payload: Uint8Array, scale: number, scratch: Uint8Array): Uint8Array {
  if (scale === 1 || payload.length < 4) return payload;
  scratch[0] = payload[0];
  scratch[1] = payload[1];
  // Rounded up (the clamp window never falls short); a 16-bit field: a long event saturates.
  const d = Math.min(0xffff, ((payload[2] << 8) | payload[3]) * scale);
  scratch[2] = d >> 8;
  scratch[3] = d & 0xff;
  return scratch;
}
