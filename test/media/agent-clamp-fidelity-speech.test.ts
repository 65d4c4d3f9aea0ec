// Fidelity through the joined clamp stage: Asterisk speech with no digits, as PCMU RTP,
// through createClampStage in secure mode in every mode; with the lookahead delay removed,
// at least 99.9 % of 20 ms frames must come out bit-identical, and no digit may be reported.
import t from 'tap';
import { CLAMP_MODES } from '../../src/media/clamp/inband-clamp.js';
import { loadCorpus, SPEECH_DIR, REQUIRE_SPEECH, requireTools } from '../helpers/audio-files.js';
import { fidelityInput, fidelityThroughStage } from '../helpers/agent-stage.js';

const corpusPresent = requireTools(t, REQUIRE_SPEECH);

t.test('speech without digits through the stage: >= 99.9 % of 20 ms frames bit-identical, every mode', async (t) => {
  if (!corpusPresent) return;
  const corpus = loadCorpus(SPEECH_DIR);
  const inputs = corpus.map((f) => fidelityInput(f.pcm));
  for (const mode of CLAMP_MODES) {
    const f = fidelityThroughStage(inputs, mode);
    t.equal(f.invalidStreams, 0, 'speech [' + mode + '] every output stream valid (seq, ts, SSRC)');
    t.ok(
      f.identical >= 0.999 * f.frames,
      `speech [${mode}] (${corpus.length} files, ${(f.frames / 3000).toFixed(1)} min): ${f.identical} of ${f.frames} frames identical (${((100 * f.identical) / f.frames).toFixed(3)} %), ${f.inbandDigits} digits reported`,
    );
  }
});
