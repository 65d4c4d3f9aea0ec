// Sequence/timestamp tracking (RFC 3550 §A.1): wraps, loss, reordering, duplicates, restarts.
import t from 'tap';
import { createSequenceTracker, expectedPackets, lostPackets, trackPacket } from '../../src/rtp/sequence-tracker.js';

t.test('sequence wraps at 65535 and timestamp at 2^32 extend monotonically', async (t) => {
  const s = createSequenceTracker();
  const seen: number[] = [];
  const stamps: number[] = [];
  for (let i = 0; i < 10; i++) {
    t.equal(trackPacket(s, (65530 + i) & 0xffff, (0xffffff00 + i * 160) >>> 0), 'in-order');
    seen.push(s.lastExtSeq);
    stamps.push(s.lastExtTs);
  }
  for (let i = 1; i < seen.length; i++) {
    t.equal(seen[i] - seen[i - 1], 1);
    t.equal(stamps[i] - stamps[i - 1], 160);
  }
  t.equal(lostPackets(s), 0);
  t.equal(expectedPackets(s), 10);
});

t.test('gaps are loss; late packets fill them; duplicates are flagged and not counted', async (t) => {
  const s = createSequenceTracker();
  trackPacket(s, 100, 0);
  t.equal(trackPacket(s, 103, 480), 'gap');
  t.equal(lostPackets(s), 2);
  t.equal(trackPacket(s, 101, 160), 'late');
  t.equal(s.lastExtTs - (0x100000000 + 0), 160, 'late packet timestamp extended');
  t.equal(trackPacket(s, 101, 160), 'duplicate');
  t.equal(trackPacket(s, 103, 480), 'duplicate');
  t.equal(lostPackets(s), 1);
  t.equal(s.duplicates, 2);
  t.equal(s.late, 1);
});

t.test('late packets across the wrap', async (t) => {
  const s = createSequenceTracker();
  trackPacket(s, 65534, 0);
  trackPacket(s, 1, 480);
  t.equal(trackPacket(s, 65535, 160), 'late');
  t.equal(trackPacket(s, 0, 320), 'late');
  t.equal(lostPackets(s), 0);
});

t.test('a large jump is a restart, not 30,000 lost packets', async (t) => {
  const s = createSequenceTracker();
  trackPacket(s, 10, 0);
  t.equal(trackPacket(s, 30000, 5000), 'restart');
  t.equal(trackPacket(s, 30001, 5160), 'in-order');
  t.equal(lostPackets(s), 0);
});
