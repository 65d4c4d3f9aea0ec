// The options of the in-band audio clamp, and the codec port they resolve to: the clamp runs on
// 8 kHz PCM (the port's, or its lower band) on an RTP clock that is a whole multiple of it.
import type { DtmfDigit } from '../../../native-free-dsp/dtmf-tones.js';
import type { CodecPort } from '../codecs/codec-port.js';
import { createCodecPort } from '../codecs/create-codec-port.js';
import { MediaError } from '../media-error.js';
import type { AudioCodecName } from '../media-session.js';
import type { ClampMode, InbandClampOptions } from './inband-clamp-options.js';

/** A digit the in-band detector found in the caller's audio. */
export interface InbandAudioDigit {
  readonly digit: DtmfDigit;
  /** Extended RTP timestamps (the leg's clock) of the tone's start and end, as the detector measured them. */
  readonly startTs: number;
  readonly endTs: number;
}

export interface InbandAudioClampOptions {
  /** The leg's codec, or its codec port (one per leg and direction). */
  readonly codec: AudioCodecName | CodecPort;
  readonly mode: ClampMode;
  /** Tuning of the in-band clamp (lookahead, pads, levels); default DEFAULT_INBAND_CLAMP_OPTIONS. */
  readonly clamp?: Partial<Omit<InbandClampOptions, 'mode'>>;
  /** Muted after a gap, ms, for a port with a statefulDecoder (default the port's resyncMs; 0-1000). */
  readonly resyncMs?: number;
  /** Every in-band digit confirmed, once, when its tone ends. */
  readonly onDigit?: (digit: InbandAudioDigit) => void;
}

/** The detector's rate, Hz. */
const PCM_RATE = 8000;
const CODECS: readonly string[] = ['PCMU', 'PCMA', 'G722', 'opus'];

/** The codec port a clamp runs on, with its clock ratio and resynchronisation time. */
export interface ClampPort {
  readonly port: CodecPort;
  /** RTP clock units per PCM sample. */
  readonly ratio: number;
  /** Muted after a gap, PCM samples (a port with a statefulDecoder). */
  readonly resyncSamples: number;
}

/** The options' codec port; a MediaError EOPTIONS for a codec or resyncMs the clamp cannot run with. */
export function clampPort(options: InbandAudioClampOptions): ClampPort {
  const { codec } = options;
  if (typeof codec === 'string' && !CODECS.includes(codec)) throw new MediaError('EOPTIONS', `codec must be one of ${CODECS.join(', ')}, got ${String(codec)}`);
  const port = typeof codec === 'string' ? createCodecPort(codec) : codec;
  const pcmRate = port.bands?.bandRate ?? port.sampleRate;
  const ratio = port.rtpClockRate / pcmRate;
  if (pcmRate !== PCM_RATE || !Number.isInteger(ratio) || ratio < 1) {
    throw new MediaError('EOPTIONS', `the in-band clamp needs ${PCM_RATE} Hz PCM on an RTP clock that is a multiple of it (${port.name}: ${pcmRate} Hz PCM, ${port.rtpClockRate} Hz clock)`);
  }
  const resyncMs = options.resyncMs ?? port.statefulDecoder?.resyncMs ?? 0;
  if (!Number.isFinite(resyncMs) || resyncMs < 0 || resyncMs > 1000) throw new MediaError('EOPTIONS', `resyncMs must be 0-1000, got ${resyncMs}`);
  return { port, ratio, resyncSamples: Math.round((resyncMs * PCM_RATE) / 1000) };
}
