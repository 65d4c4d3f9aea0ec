// DTMF talk-down: digits of 50-100 ms mixed over real speech with the DTMF pair 6 dB above the
// speech under it (speech-to-tone ratio -6 dB over the digit's span; tones -25..-3 dBm0), at
// deterministic pseudo-random positions inside active speech (helpers/talk-down.ts).
// Every digit must be found, with no extra digits; linear PCM, mu-law and A-law.
import t from 'tap';
import { dtmfFrequencies } from '../../native-free-dsp/dtmf-tones.js';
import { loadCorpus, REQUIRE_SOX, REQUIRE_SPEECH, requireTools, SPEECH_DIR } from '../helpers/audio-files.js';
import { describeEvents, describeTruth, detect, digitsOf, onTheLine, summarize } from '../helpers/dtmf-cases.js';
import { prepareCodecs } from '../helpers/run-cases.js';
import { seedBanner, streamRng } from '../helpers/signals.js';
import { buildTalkDown, TALK_DOWN_DEFAULTS } from '../helpers/talk-down.js';

t.comment(seedBanner());
const codecs = await prepareCodecs(t);

t.test(`digits over speech at ${TALK_DOWN_DEFAULTS.speechToToneDb} dB speech-to-tone ratio are all found, nothing extra`, async (t) => {
  if (!requireTools(t, REQUIRE_SPEECH, REQUIRE_SOX)) return;
  const set = buildTalkDown(streamRng('talk-down'), loadCorpus(SPEECH_DIR));
  const digits = set.items.reduce((sum, item) => sum + item.truth.length, 0);
  const tones = set.items.flatMap((item) => item.toneDbm0);
  t.comment(
    `${digits} digits over ${set.items.length} speech files (${set.filesTooLoud} of ${set.filesConsidered} eligible files skipped: ` +
      `tones would exceed ${TALK_DOWN_DEFAULTS.maxToneDbm0} dBm0); tone level per tone ${Math.min(...tones).toFixed(1)} .. ${Math.max(...tones).toFixed(1)} dBm0`,
  );
  t.ok(digits >= 250, 'a few hundred digits placed');
  for (const codec of codecs) {
    let missed = 0;
    let extra = 0;
    const failures: string[] = [];
    /** Per breakdown bucket: [missed, total], to show where the misses are. */
    const buckets = new Map<string, [number, number]>();
    const count = (bucket: string, miss: boolean): void => {
      const entry = buckets.get(bucket) ?? [0, 0];
      entry[0] += miss ? 1 : 0;
      entry[1]++;
      buckets.set(bucket, entry);
    };
    for (const item of set.items) {
      const result = detect(onTheLine(item.mix, codec));
      const expected = digitsOf(item.truth);
      if (result instanceof Error) {
        failures.push(`${item.path}: detector threw ${result.message}`);
        missed += item.truth.length;
        continue;
      }
      // Match each event to the tone it overlaps; count misses and extras separately.
      const used = new Set<number>();
      let matched = 0;
      for (const event of result) {
        const i = item.truth.findIndex((tone, k) => !used.has(k) && tone.digit === event.digit && event.startMs < tone.endMs + 20 && event.endMs > tone.startMs - 20);
        if (i >= 0) {
          used.add(i);
          matched++;
        } else extra++;
      }
      missed += item.truth.length - matched;
      item.truth.forEach((tone, k) => {
        const durationMs = tone.endMs - tone.startMs;
        const { lowHz, highHz } = dtmfFrequencies(tone.digit);
        count(`duration ${durationMs < 60 ? '50-59' : durationMs < 80 ? '60-79' : '80-100'} ms`, !used.has(k));
        count(`row ${lowHz} Hz`, !used.has(k));
        count(`column ${highHz} Hz`, !used.has(k));
      });
      if (digitsOf(result) !== expected) {
        failures.push(
          `${item.path} (speech ${item.speechDbm0.toFixed(1)} dBm0, tones ${item.toneDbm0.map((level) => level.toFixed(1)).join('/')} dBm0): expected "${expected}" [${describeTruth(item.truth)}], got "${digitsOf(result)}" [${describeEvents(result)}]`,
        );
      }
    }
    t.comment(`[${codec}] talk-down: ${digits - missed}/${digits} digits found, ${extra} extra digit(s)`);
    t.comment(
      `[${codec}] missed per bucket: ${[...buckets]
        .sort()
        .map(([name, [miss, total]]) => `${name} ${miss}/${total}`)
        .join(', ')}`,
    );
    t.equal(missed, 0, `[${codec}] every digit found`, { failures: summarize(failures, 30) });
    t.equal(extra, 0, `[${codec}] no extra digits`);
    t.equal(failures.length, 0, `[${codec}] every file gives exactly its digits in order`);
  }
});
