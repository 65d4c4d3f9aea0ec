// The recorded and derived G.711 fixtures (fixtures/rtp) through the clamp stage in secure mode,
// every RTP stream as if it went to an agent: no telephone-event packet comes out, the stream
// stays valid, the RFC 4733 digits reach the listener, and our in-band detector finds none of
// them in the output audio. (In-band tones in these captures are the in-band clamp's job: here
// they must merely come out as they went in.) Opus is not a clamp codec yet, so opus.pcapng is left out.
import t from 'tap';
import { readFileSync } from 'node:fs';
import { detectDtmf } from '../../native-free-dsp/dtmf-detector.js';
import { readUdpDatagrams } from '../../src/capture/index.js';
import { SilenceDelayClamp } from '../../src/media/clamp/audio-clamp.js';
import { ClampStage } from '../../src/media/clamp/clamp-stage.js';
import { replayCapture } from '../../src/replay/replay.js';
import { looksLikeRtp, rtpSsrc } from '../../src/rtp/rtp-packet.js';
import { PressClock, type RtpPress } from '../helpers/press-clock.js';
import { rfc4733DigitsOf } from '../helpers/rfc4733-oracle.js';
import { checkStream, decodeByTimestamp, parsed } from '../helpers/rtp-streams.js';

const FILES = ['pcmu.pcapng', 'pcma.pcapng', 'pcma-info.pcapng', 'pcmu-loss.pcap', 'pcmu-dup.pcap', 'pcmu-reorder.pcap'];
const CLEAN = new Set(['pcmu.pcapng', 'pcma.pcapng', 'pcma-info.pcapng']);
const LOOKAHEAD = 320;

for (const file of FILES) {
  t.test(file, async (t) => {
    const path = new URL(`../../fixtures/rtp/${file}`, import.meta.url);
    const bytes = readFileSync(path);
    const replay = await replayCapture(bytes, file);
    const streams = replay.streams.filter((s) => s.codec === 'PCMU' || s.codec === 'PCMA');
    t.ok(streams.length >= 2, 'both directions found');
    let eventDigitsSeen = 0;
    for (const s of streams) {
      const codec = s.codec as 'PCMU' | 'PCMA';
      const packets: { bytes: Uint8Array; timeMs: number }[] = [];
      readUdpDatagrams(bytes, file, (d) => {
        if (d.src === s.id.src && d.srcPort === s.id.srcPort && d.dst === s.id.dst && d.dstPort === s.id.dstPort && looksLikeRtp(d.payload) && rtpSsrc(d.payload) === s.id.ssrc) {
          packets.push({ bytes: Uint8Array.from(d.payload), timeMs: d.timeMs }); // a copy: Buffer#slice would be a view
        }
      });
      const inputEvents = packets.filter((p) => parsed(p.bytes).payloadType === s.eventPayloadType).length;
      const expectedRfc = rfc4733DigitsOf(packets, s.eventPayloadType);
      for (const withClamp of [false, true]) {
        const name = `${s.id.srcPort}->${s.id.dstPort} ${withClamp ? 'with the placeholder audio clamp' : 'RTP only'}`;
        const out: Uint8Array[] = [];
        const digits: RtpPress[] = [];
        const clock = new PressClock();
        const stage = new ClampStage({
          codec,
          audioPayloadType: s.payloadType,
          eventPayloadType: s.eventPayloadType,
          secure: true,
          audioClamp: withClamp ? new SilenceDelayClamp(codec, LOOKAHEAD) : undefined,
          send: (p) => out.push(Uint8Array.from(p)),
          onDigit: (d) => digits.push(clock.rtp(d)),
        });
        for (const p of packets) {
          clock.saw(p.bytes, p.timeMs);
          stage.push(Uint8Array.from(p.bytes), p.timeMs);
        } // the stage rewrites headers in place
        stage.close();
        const c = checkStream(out, s.eventPayloadType);
        t.equal(c.eventPackets, 0, `${name}: no telephone-event packet out (${inputEvents} in)`);
        t.same([...c.ssrcs], [s.id.ssrc], `${name}: one SSRC`);
        t.equal(digits.map((d) => d.digit).join(''), expectedRfc, `${name}: the RFC 4733 digits reach the listener`);
        eventDigitsSeen += digits.length;
        const seqs = out.map((b) => parsed(b).sequence);
        t.equal(new Set(seqs).size, seqs.length, `${name}: no sequence number sent twice`);
        if (CLEAN.has(file)) {
          t.same(c.seqBreaks, [], `${name}: sequence contiguous`);
          t.same(c.tsBreaks, [], `${name}: timestamps continuous`);
        } else {
          // Loss, duplicates, reordering in the input: where the output numbers follow each other
          // (in number order), the timestamps follow each other too.
          const ordered = out.map(parsed).sort((a, b) => ((a.sequence - seqs[0]) & 0xffff) - ((b.sequence - seqs[0]) & 0xffff));
          const tsBreaks: string[] = [];
          for (let i = 1; i < ordered.length; i++) {
            const a = ordered[i - 1];
            const b = ordered[i];
            if (b.sequence === ((a.sequence + 1) & 0xffff) && b.timestamp !== (a.timestamp + a.payload.length) >>> 0) tsBreaks.push(`${a.sequence}`);
          }
          t.same(tsBreaks, [], `${name}: consecutive numbers carry consecutive audio`);
        }
        // No event digit in the output audio: detected tones never overlap an event's span.
        const first = parsed(out[0]);
        const pcm = decodeByTimestamp(out, codec);
        const shift = withClamp ? LOOKAHEAD : 0;
        const found = detectDtmf(pcm);
        const overlapping = found.filter((f) =>
          digits.some((d) => {
            const start = ((d.startTs - first.timestamp) >>> 0) + shift;
            const startMs = ((start % 2 ** 32) / 8) % (2 ** 32 / 8);
            const endMs = startMs + (d.durationMs ?? 0);
            return f.startMs < endMs + 20 && f.endMs > startMs - 20;
          }),
        );
        t.same(
          overlapping.map((f) => f.digit),
          [],
          `${name}: no event digit in the output audio`,
        );
        if (!withClamp) {
          const inband = s.digits
            .filter((d) => d.source === 'inband')
            .map((d) => d.digit)
            .join('');
          t.equal(found.map((f) => f.digit).join(''), inband, `${name}: in-band tones untouched by the RTP side`);
        }
      }
    }
    t.ok(eventDigitsSeen > 0, 'the fixture has RFC 4733 digits to clamp');
  });
}
