// Prompts queued for one leg: 8 kHz linear PCM played in order, each reported when it ends
// (played out, or interrupted by barge-in or stopPlayback). The leg's sender pulls samples
// frame by frame (`read`), so prompt time follows the packets actually sent. Pure state.

export interface PromptEnd {
  readonly id: number;
  readonly interrupted: boolean;
}

interface Prompt {
  readonly id: number;
  readonly pcm: Int16Array;
  readonly bargeIn: boolean;
}

export class PromptQueue {
  private readonly queue: Prompt[] = [];
  /** Samples of the head prompt already played. */
  private at = 0;
  private readonly onEnd: (end: PromptEnd) => void;

  constructor(onEnd: (end: PromptEnd) => void) {
    this.onEnd = onEnd;
  }

  get active(): boolean {
    return this.queue.length > 0;
  }

  add(id: number, pcm: Int16Array, bargeIn: boolean): void {
    this.queue.push({ id, pcm, bargeIn });
    // An empty prompt ends at the next read, like any other (events stay asynchronous to play()).
  }

  /**
   * The next `n` samples into `dst` (prompt audio, then zeros when the queue runs dry).
   * Returns whether any prompt audio was written. Prompts that end are reported.
   */
  read(dst: Int16Array, n: number): boolean {
    let done = 0;
    let any = false;
    while (done < n && this.queue.length > 0) {
      const head = this.queue[0];
      const take = Math.min(n - done, head.pcm.length - this.at);
      if (take > 0) {
        dst.set(head.pcm.subarray(this.at, this.at + take), done);
        done += take;
        this.at += take;
        any = true;
      }
      if (this.at >= head.pcm.length) {
        this.queue.shift();
        this.at = 0;
        this.onEnd({ id: head.id, interrupted: false });
      }
    }
    if (done < n) dst.fill(0, done, n);
    return any;
  }

  /** A caller's digit: every barge-in prompt stops (interrupted). */
  bargeIn(): void {
    this.stopWhere((p) => p.bargeIn);
  }

  /** Stops every prompt (interrupted). */
  stop(): void {
    this.stopWhere(() => true);
  }

  private stopWhere(match: (p: Prompt) => boolean): void {
    const stopped: Prompt[] = [];
    for (let i = 0; i < this.queue.length;) {
      if (match(this.queue[i])) {
        if (i === 0) this.at = 0;
        stopped.push(...this.queue.splice(i, 1));
      } else i++;
    }
    for (const p of stopped) this.onEnd({ id: p.id, interrupted: true });
  }
}
