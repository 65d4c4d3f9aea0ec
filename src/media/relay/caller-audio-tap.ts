// The caller's audio for the speech recogniser (endpoint mode): each audio packet of the caller
// leg decoded to 8 kHz PCM and handed to a sink, in one reused buffer. G.711 decodes byte for
// byte; G.722 gives its lower band (0-4 kHz at 8 kHz, the codec's own split: no resampler), from
// a decoder of the tap's own that sees the packets in arrival order (ADPCM state runs from packet
// to packet; the clamp's decoder is not shared, it follows the stream by timestamp). Opus: nothing
// (speech is then not heard, keys still are). Nothing is kept: the buffers and the decoder's
// state are cleared when the sink goes and at close.
import { decodeAlaw, decodeUlaw } from '../../../native-free-dsp/g711.js';
import type { CodecPort } from '../codecs/codec-port.js';
import { createCodecPort } from '../codecs/create-codec-port.js';
import type { LegMediaConfig } from '../media-session.js';

/** Largest frame decoded, samples per band (120 ms at 8 kHz; longer payloads are not tapped). */
const MAX_SAMPLES = 960;

export class CallerAudioTap {
  private sink: ((pcm: Int16Array) => void) | null = null;
  private readonly heard = new Int16Array(MAX_SAMPLES);
  private heardView = this.heard.subarray(0, 160);
  private readonly upper = new Int16Array(MAX_SAMPLES);
  private g722: CodecPort | null = null;

  get active(): boolean {
    return this.sink !== null;
  }

  /** From now on each packet goes to `sink` (the view is reused: copy to keep); null stops it and clears. */
  setSink(sink: ((pcm: Int16Array) => void) | null): void {
    // A decoder restarted with the tap: no state from audio the sink was not meant to hear.
    if (sink !== null && this.sink === null) this.g722?.reset();
    this.sink = sink;
    if (sink === null) this.clear();
  }

  /** One caller packet whose payload is [start, end) of `packet`, on the leg's negotiated codec. */
  push(packet: Uint8Array, payloadType: number, start: number, end: number, config: LegMediaConfig): void {
    const sink = this.sink;
    if (sink === null || payloadType !== config.payloadType || end <= start) return;
    let n: number;
    if (config.codec === 'PCMU' || config.codec === 'PCMA') {
      n = Math.min(end - start, MAX_SAMPLES);
      (config.codec === 'PCMU' ? decodeUlaw : decodeAlaw)(packet, this.heard, n, start);
    } else if (config.codec === 'G722') {
      // One byte per sample pair: a payload longer than the buffers is not tapped.
      if (end - start > MAX_SAMPLES) return;
      this.g722 ??= createCodecPort('G722');
      n = this.g722.bands?.decodeBands(packet.subarray(start, end), this.heard, this.upper) ?? -1;
      if (n <= 0) return;
    } else return;
    if (this.heardView.length !== n) this.heardView = this.heard.subarray(0, n);
    sink(this.heardView);
  }

  close(): void {
    this.sink = null;
    this.clear();
  }

  private clear(): void {
    this.heard.fill(0);
    this.upper.fill(0);
    this.g722?.reset();
  }
}
