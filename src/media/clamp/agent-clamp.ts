// What the media plane needs of a caller -> agent clamp stage, whatever the leg's codec: the
// G.711 stage (RtpClampStage, from createAgentClampStage) and the Opus stage
// (OpusAgentClampStage, from createOpusAgentClampStage) both have this surface, so one leg
// handler drives either.
import type { RtpClampStageStats, SentAdjustment } from './rtp-clamp-stage.js';

export interface AgentClampStage {
  /** Packet counts (in, out, events removed, replacement frames, drops). */
  readonly stats: RtpClampStageStats;
  /** Sent minus received, for the sender's RTCP reports (adjustSenderReports). */
  readonly adjustment: SentAdjustment;
  /** Secure mode as last requested. */
  readonly secure: boolean;
  /** Whether packets are being clamped now (stays on past a switch-off until the current event ends). */
  readonly clamping: boolean;
  /** One packet from the caller, `arrivalMs` its arrival time (ms, any epoch). */
  push(packet: Uint8Array, arrivalMs: number): void;
  /** Switches secure mode; takes effect at the next packet. */
  setSecure(on: boolean): void;
  /** Time passes without packets: ends a digit whose end packets were lost. */
  tick(nowMs: number): void;
  /** End of the leg; idempotent. */
  close(): void;
}
