// Per-frame working buffers of the in-band audio clamp, shared by the clamps of a thread.
import { MAX_FRAME_SAMPLES } from './audio-clamp.js';

/**
 * Per-frame working buffers. A clamp needs them only while it puts a frame through, and frames
 * are put through one at a time per thread, so the thread's clamps share one set, which stays
 * in the cache (each call's own rings do not, with hundreds of calls per thread), and a call
 * costs less memory and less time to set up.
 */
export class FrameBuffers {
  readonly pcmIn = new Int16Array(MAX_FRAME_SAMPLES);
  readonly pcmOut = new Int16Array(MAX_FRAME_SAMPLES);
  readonly weights = new Float32Array(MAX_FRAME_SAMPLES);
  readonly codes = new Uint8Array(MAX_FRAME_SAMPLES);
  /** Upper band (sub-band codecs) of the frame decoded and of the frame encoded. */
  readonly upperIn = new Int16Array(MAX_FRAME_SAMPLES);
  readonly upperOut = new Int16Array(MAX_FRAME_SAMPLES);
  /** PCM of the frame being encoded, and its last view (no allocation while the frame size stays). */
  readonly frame = new Int16Array(MAX_FRAME_SAMPLES);
  frameView: Int16Array = this.frame;
}

let sharedBuffers: FrameBuffers | undefined;
/** A clamp of this thread is putting a frame through with the shared buffers. */
let threadBuffersHeld = false;

export function threadBuffers(): FrameBuffers {
  return (sharedBuffers ??= new FrameBuffers());
}

/** The thread's buffers, now held, or null when a clamp holds them already (a listener called back into a clamp). */
export function takeThreadBuffers(): FrameBuffers | null {
  if (threadBuffersHeld) return null;
  threadBuffersHeld = true;
  return threadBuffers();
}

/** Ends a hold of takeThreadBuffers() (a clamp's own buffers: nothing to do). */
export function releaseThreadBuffers(buffers: FrameBuffers): void {
  if (buffers === sharedBuffers) threadBuffersHeld = false;
}

/** Silence for holes (never written). */
export const ZEROS = new Int16Array(MAX_FRAME_SAMPLES);
