// DTMF talk-off: real speech (asterisk-core-sounds-en-wav, ~25 min), music on hold
// (asterisk-moh-opsound-wav, ~18 min) and synthetic speech (espeak-ng, ~18 min, steady-pitch
// formant synthesis) must give zero digits in total, through linear PCM, mu-law and A-law. Files not already 8 kHz 16-bit mono are converted once with sox into a
// cache under the OS temp dir.
import t from 'tap';
import { createDtmfDetector, dtmfFlush, dtmfRx, type DtmfDigitEvent } from '../../native-free-dsp/dtmf-detector.js';
import { loadCorpus, MUSIC_DIR, REQUIRE_ESPEAK, REQUIRE_MUSIC, REQUIRE_SOX, REQUIRE_SPEECH, requireTools, SPEECH_DIR, syntheticSpeechDir } from '../helpers/audio-files.js';
import { describeEvents, summarize } from '../helpers/dtmf-cases.js';
import { prepareCodecs } from '../helpers/run-cases.js';
import { codecRoundTrip, SAMPLE_RATE } from '../helpers/signals.js';

const codecs = await prepareCodecs(t);

t.test('speech and music give zero digits', async (t) => {
  if (!requireTools(t, REQUIRE_SPEECH, REQUIRE_MUSIC, REQUIRE_SOX, REQUIRE_ESPEAK)) return;
  const corpora = [
    { name: 'speech', files: loadCorpus(SPEECH_DIR) },
    { name: 'music on hold', files: loadCorpus(MUSIC_DIR) },
    { name: 'synthetic speech (espeak-ng)', files: loadCorpus(syntheticSpeechDir()) },
  ];
  for (const corpus of corpora) {
    const samples = corpus.files.reduce((sum, f) => sum + f.pcm.length, 0);
    t.comment(`${corpus.name}: ${corpus.files.length} files, ${(samples / SAMPLE_RATE / 60).toFixed(1)} minutes`);
    t.ok(corpus.files.length > 0, `${corpus.name}: found WAV files`);
    for (const codec of codecs) {
      const hits: string[] = [];
      let digits = 0;
      const started = Date.now();
      for (const file of corpus.files) {
        // One detector per file, fed in 20 ms packets as on a call.
        const events: DtmfDigitEvent[] = [];
        const detector = createDtmfDetector({ onDigit: (e) => events.push(e) });
        const pcm = codecRoundTrip(file.pcm, codec);
        for (let offset = 0; offset < pcm.length; offset += 160) dtmfRx(detector, pcm.subarray(offset, Math.min(pcm.length, offset + 160)));
        dtmfFlush(detector);
        digits += events.length;
        if (events.length > 0) hits.push(`${file.path}: ${describeEvents(events)}`);
      }
      t.comment(`[${codec}] ${corpus.name}: ${digits} digit(s) in ${hits.length} file(s); ${((Date.now() - started) / 1000).toFixed(1)} s for ${(samples / SAMPLE_RATE / 60).toFixed(1)} min`);
      t.equal(digits, 0, `[${codec}] ${corpus.name}: zero digits (talk-off)`, { files: summarize(hits, 40) });
    }
  }
});
