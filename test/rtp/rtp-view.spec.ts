// RtpView: one parse at entry gives every header field and the payload bounds; reused without
// allocation; bad packets keep what is readable and say why.
import t from 'tap';
import { serializeRtp } from '../../src/rtp/rtp-packet.js';
import { RtpView } from '../../src/rtp/rtp-view.js';

t.test('fields and payload bounds of a packet with CSRCs, an extension and padding', async (t) => {
  const bytes = new Uint8Array([
    0xb1,
    0x80 | 96,
    0x12,
    0x34,
    0xde,
    0xad,
    0xbe,
    0xef,
    0x01,
    0x02,
    0x03,
    0x04, // V=2 P X CC=1, M, PT 96
    0,
    0,
    0,
    9, // CSRC
    0xbe,
    0xde,
    0,
    1,
    0x10,
    0xaa,
    0,
    0, // one-byte extension, 1 word
    7,
    8,
    9, // payload
    0,
    2, // padding: 2 bytes
  ]);
  const v = new RtpView();
  t.equal(v.parse(bytes, 123), undefined);
  t.same([v.marker, v.payloadType, v.sequence, v.timestamp, v.ssrc, v.arrivalMs], [true, 96, 0x1234, 0xdeadbeef, 0x01020304, 123]);
  t.same([...v.payload()], [7, 8, 9]);
  t.equal(v.payloadLength, 3);
  t.equal(v.extSeq, -1, 'not placed until a tracker places it');
  v.setSequence(0xfffe);
  v.setPayloadType(0);
  t.same([bytes[1], bytes[2], bytes[3], v.sequence, v.payloadType], [0x80, 0xff, 0xfe, 0xfffe, 0], 'rewrites go to the bytes and the view');
});

t.test('reused: a second parse overwrites everything; bad packets keep the readable header', async (t) => {
  const v = new RtpView();
  v.parse(serializeRtp({ payloadType: 0, sequence: 1, timestamp: 160, ssrc: 7, marker: false, payload: new Uint8Array(160) }), 1);
  v.extSeq = 5;
  const bad = serializeRtp({ payloadType: 8, sequence: 2, timestamp: 320, ssrc: 7, marker: false, payload: new Uint8Array(4) });
  bad[0] |= 0x20; // padding bit with a count larger than the payload
  bad[bad.length - 1] = 200;
  t.equal(v.parse(bad, 2), 'EPADDING');
  t.equal(v.error, 'EPADDING');
  t.ok(v.headerValid, 'the fixed header is still readable');
  t.same([v.payloadType, v.sequence, v.timestamp, v.payloadLength, v.extSeq], [8, 2, 320, 0, -1]);
  t.equal(v.parse(new Uint8Array(5), 3), 'ESHORT');
  t.notOk(v.headerValid);
  const v1 = new Uint8Array(12);
  v1[0] = 0x40;
  t.equal(v.parse(v1, 4), 'EVERSION');
});
