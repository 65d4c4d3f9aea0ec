// Turns a prompt plan into what the media pipeline plays: the prompts' recordings, 8 kHz mono
// Int16 PCM, concatenated. Recordings come from one directory (the default set or a user's own):
// `<id>.ul` (raw G.711 mu-law, 8 kHz), `<id>.al` (raw A-law) or `<id>.wav` (any WAV the media
// reader takes, converted to 8 kHz mono). A missing recording falls back to the TTS engine when
// one is given, else it is an error naming the prompt.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { decodeAlaw, decodeUlaw } from '../../../native-free-dsp/g711.js';
import { CodedError } from '../../errors.js';
import { parseWav } from '../../audio-file/wav-parser.js';
import { toMono8k } from '../../audio-file/mono-8k.js';
import { PROMPT_TEXT } from './prompt-text.js';
import { agentMayHear, type PromptPlan } from './compose.js';
import type { TtsEngine } from './tts.js';

export type PromptErrorCode = 'ERR_PROMPT_MISSING' | 'ERR_PROMPT_BAD_ID' | 'ERR_PROMPT_UNREADABLE';

export class PromptError extends CodedError<PromptErrorCode> {
  constructor(code: PromptErrorCode, message: string, options?: ErrorOptions) {
    super(code, message, options);
  }
}

/** Prompt ids are file names: letters, digits and dashes only, so a plan cannot leave the directory. */
const PROMPT_ID = /^[a-z0-9][a-z0-9-]{0,63}$/;

export interface PromptLibraryOptions {
  readonly directory: string;
  readonly tts?: TtsEngine;
  readonly locale?: string;
  /** Silence between segments (ms); the default set's files are trimmed tight. */
  readonly gapMs?: number;
}

const SAMPLES_PER_MS = 8;

const REASONS: Readonly<Record<PromptErrorCode, string>> = {
  ERR_PROMPT_MISSING: 'no recording for it and no TTS',
  ERR_PROMPT_BAD_ID: 'not a prompt id',
  ERR_PROMPT_UNREADABLE: 'its recording cannot be read',
};

/** What a plan sounds like on each leg (8 kHz PCM, equal lengths). */
export interface RenderedPlan {
  readonly caller: Int16Array;
  /** The agent's version: the caller-only segments as silence (the same array when there are none). */
  readonly agent: Int16Array;
}

export class PromptLibrary {
  readonly #options: PromptLibraryOptions;
  readonly #cache = new Map<string, Promise<Int16Array>>();

  constructor(options: PromptLibraryOptions) {
    this.#options = options;
  }

  /** One prompt's PCM (cached: each file is read once). */
  prompt(id: string): Promise<Int16Array> {
    let pending = this.#cache.get(id);
    if (pending === undefined) {
      pending = this.#read(id);
      this.#cache.set(id, pending);
      pending.catch(() => this.#cache.delete(id));
    }
    return pending;
  }

  /** A plan's segments, concatenated with the configured gap between them (what the caller hears). */
  async load(plan: PromptPlan): Promise<Int16Array> {
    return (await this.render(plan)).caller;
  }

  /**
   * A plan for both legs: `caller` is every segment; `agent` is the same length with the
   * segments for the caller only (agentMayHear false) as silence, so both stay aligned. A
   * segment that cannot be played fails the whole plan with a PromptError naming the prompt set
   * and the segment's position, never its id (a readback's ids are the expiry's words).
   */
  async render(plan: PromptPlan): Promise<RenderedPlan> {
    const n = plan.segments.length;
    const parts = await Promise.all(
      plan.segments.map((id, i) =>
        this.prompt(id).catch((error: unknown) => {
          const code = error instanceof PromptError ? error.code : 'ERR_PROMPT_UNREADABLE';
          const head = agentMayHear(plan, 0) ? ` (plan starting ${plan.segments[0]})` : '';
          throw new PromptError(code, `prompt set ${this.#options.directory}: segment ${i + 1} of ${n}${head} cannot be played: ${REASONS[code]}`);
        }),
      ),
    );
    const gap = Math.round((this.#options.gapMs ?? 0) * SAMPLES_PER_MS);
    const total = parts.reduce((sum, p) => sum + p.length, 0) + gap * Math.max(0, parts.length - 1);
    const caller = new Int16Array(total);
    const muted: [number, number][] = [];
    let at = 0;
    parts.forEach((p, i) => {
      if (i > 0) at += gap;
      caller.set(p, at);
      if (!agentMayHear(plan, i)) muted.push([at, at + p.length]);
      at += p.length;
    });
    if (muted.length === 0) return { caller, agent: caller };
    const agent = caller.slice();
    for (const [from, to] of muted) agent.fill(0, from, to);
    return { caller, agent };
  }

  /** Forgets what was read (a re-recorded set is picked up on the next load). */
  close(): void {
    this.#cache.clear();
  }

  async #read(id: string): Promise<Int16Array> {
    if (!PROMPT_ID.test(id)) throw new PromptError('ERR_PROMPT_BAD_ID', `not a prompt id: ${JSON.stringify(id.slice(0, 80))}`);
    const base = join(this.#options.directory, id);
    for (const ext of ['.ul', '.al', '.wav']) {
      let bytes: Uint8Array;
      try {
        bytes = await readFile(base + ext);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue;
        throw new PromptError('ERR_PROMPT_UNREADABLE', `prompt ${id}: cannot read ${base + ext}: ${(error as Error).message}`, { cause: error });
      }
      return decode(bytes, ext, base + ext, id);
    }
    const tts = this.#options.tts;
    const text = PROMPT_TEXT[id];
    if (tts !== undefined && text !== undefined) return tts.synthesize(text, this.#options.locale ?? 'en-GB');
    throw new PromptError('ERR_PROMPT_MISSING', `prompt ${id}: no ${id}.ul, ${id}.al or ${id}.wav in ${this.#options.directory}`);
  }
}

function decode(bytes: Uint8Array, ext: string, file: string, id: string): Int16Array {
  if (ext === '.wav') {
    try {
      return toMono8k(parseWav(bytes, file), file);
    } catch (error) {
      throw new PromptError('ERR_PROMPT_UNREADABLE', `prompt ${id}: ${(error as Error).message}`, { cause: error });
    }
  }
  const out = new Int16Array(bytes.length);
  if (ext === '.ul') decodeUlaw(bytes, out);
  else decodeAlaw(bytes, out);
  return out;
}
