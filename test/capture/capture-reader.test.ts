// Capture reader: pcap (both byte orders, µs and ns) and pcapng (SHB/IDB/EPB/SPB/PB, several
// interfaces and sections, both byte orders, if_tsresol), link types, IPv4/IPv6, fragment
// reassembly, and bad input (truncated, corrupt) reported as errors, never thrown.
import t from 'tap';
import { type CaptureError, readUdpDatagrams, type UdpDatagram } from '../../src/capture/index.js';
import { readCaptureFrames, type CaptureFrame } from '../../src/capture/capture-file.js';
import { encodePcap, encodePcapng, ethernetFrame, ipv4UdpPacket } from '../../src/capture/capture-writer.js';
import { createUdpDecoder, decodeFrame, ipv6Text, LINKTYPE_ETHERNET, LINKTYPE_LINUX_SLL, LINKTYPE_LINUX_SLL2, LINKTYPE_LOOP, LINKTYPE_NULL, LINKTYPE_RAW } from '../../src/capture/udp-decoder.js';

const payload = (n: number, seed = 1): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (i * 7 + seed) & 0xff);
const udp4 = (n = 20, id = 1): Uint8Array => ipv4UdpPacket('10.0.0.1', 4000, '192.168.1.2', 5004, payload(n), id);

function datagrams(bytes: Uint8Array): { list: UdpDatagram[]; error: CaptureError | undefined } {
  const list: UdpDatagram[] = [];
  const summary = readUdpDatagrams(bytes, 'x.pcap', (d) => list.push(d));
  return { list, error: summary.error };
}

function frameOf(data: Uint8Array, linkType: number): CaptureFrame {
  return { number: 1, linkType, timeMs: 0, data, originalLength: data.length };
}

function decodeOne(data: Uint8Array, linkType: number): UdpDatagram[] {
  const out: UdpDatagram[] = [];
  decodeFrame(createUdpDecoder(), frameOf(data, linkType), (d) => out.push(d));
  return out;
}

const TIME_MS = 1_700_000_000_123.456;

t.test('pcap in both byte orders, µs and ns', async (t) => {
  for (const littleEndian of [true, false]) {
    for (const nanoseconds of [false, true]) {
      const frames = [0, 1, 2].map((i) => ({ timeMs: TIME_MS + i * 20, data: ethernetFrame(udp4(20 + i)) }));
      const { list, error } = datagrams(encodePcap(frames, { linkType: LINKTYPE_ETHERNET, littleEndian, nanoseconds }));
      const label = `${littleEndian ? 'LE' : 'BE'} ${nanoseconds ? 'ns' : 'µs'}`;
      t.equal(error, undefined, label);
      t.equal(list.length, 3, label);
      t.equal(list[2].payload.length, 22, label);
      t.same([list[0].src, list[0].srcPort, list[0].dst, list[0].dstPort], ['10.0.0.1', 4000, '192.168.1.2', 5004], label);
      t.ok(Math.abs(list[1].timeMs - (TIME_MS + 20)) < (nanoseconds ? 1e-5 : 1e-3), `${label} timestamp`);
    }
  }
});

t.test('pcapng: both byte orders, several interfaces with different link types and resolutions, SPB', async (t) => {
  for (const littleEndian of [true, false]) {
    const frames = [
      { timeMs: TIME_MS, data: ethernetFrame(udp4(10)), interfaceId: 0 },
      { timeMs: TIME_MS + 1.000001, data: udp4(11), interfaceId: 1 },
      { timeMs: TIME_MS + 2, data: ethernetFrame(udp4(12)), interfaceId: 2 },
    ];
    const bytes = encodePcapng(frames, { interfaces: [{ linkType: LINKTYPE_ETHERNET }, { linkType: LINKTYPE_RAW, tsresol: 9 }, { linkType: LINKTYPE_ETHERNET, tsresol: 0x80 | 20 }], littleEndian });
    const { list, error } = datagrams(bytes);
    t.equal(error, undefined);
    t.same(
      list.map((d) => d.payload.length),
      [10, 11, 12],
    );
    t.ok(Math.abs(list[1].timeMs - (TIME_MS + 1.000001)) < 1e-3, "ns resolution (a double in ms holds about 0.25 µs at today's epoch)");
    t.ok(Math.abs(list[2].timeMs - (TIME_MS + 2)) < 1e-2, 'binary resolution');
  }
  const spb = encodePcapng([{ timeMs: 0, data: ethernetFrame(udp4(5)) }], { interfaces: [{ linkType: LINKTYPE_ETHERNET }], simple: true });
  t.same(
    datagrams(spb).list.map((d) => d.payload.length),
    [5],
    'simple packet block',
  );
});

t.test('pcapng: a second section resets interfaces and may change byte order', async (t) => {
  const a = encodePcapng([{ timeMs: 1, data: ethernetFrame(udp4(3)) }], { interfaces: [{ linkType: LINKTYPE_ETHERNET }], littleEndian: true });
  const b = encodePcapng([{ timeMs: 2, data: udp4(4) }], { interfaces: [{ linkType: LINKTYPE_RAW }], littleEndian: false });
  const joined = new Uint8Array(a.length + b.length);
  joined.set(a);
  joined.set(b, a.length);
  const { list, error } = datagrams(joined);
  t.equal(error, undefined);
  t.same(
    list.map((d) => d.payload.length),
    [3, 4],
  );
});

t.test('pcapng: the obsolete Packet Block and unknown blocks', async (t) => {
  const base = encodePcapng([], { interfaces: [{ linkType: LINKTYPE_RAW }] });
  const packet = udp4(6);
  const pb = new Uint8Array(12 + 20 + ((packet.length + 3) & ~3));
  const v = new DataView(pb.buffer);
  v.setUint32(0, 2, true);
  v.setUint32(4, pb.length, true);
  v.setUint16(8, 0, true);
  v.setUint32(20, packet.length, true);
  v.setUint32(24, packet.length, true);
  pb.set(packet, 28);
  v.setUint32(pb.length - 4, pb.length, true);
  const unknown = new Uint8Array(16);
  new DataView(unknown.buffer).setUint32(0, 0x0bad, true);
  new DataView(unknown.buffer).setUint32(4, 16, true);
  new DataView(unknown.buffer).setUint32(12, 16, true);
  const all = new Uint8Array([...base, ...unknown, ...pb]);
  t.same(
    datagrams(all).list.map((d) => d.payload.length),
    [6],
  );
});

t.test('bad input: empty, not a capture, truncated, corrupt lengths; frames before the damage are kept', async (t) => {
  t.equal(datagrams(new Uint8Array(0)).error?.code, 'EEMPTY');
  t.equal(datagrams(new TextEncoder().encode('RIFF....WAVEfmt ')).error?.code, 'ENOTCAPTURE');
  const frames = [0, 1, 2, 3].map((i) => ({ timeMs: i, data: ethernetFrame(udp4(30)) }));
  const pcap = encodePcap(frames, { linkType: LINKTYPE_ETHERNET });
  const cut = datagrams(pcap.subarray(0, pcap.length - 10));
  t.equal(cut.error?.code, 'ETRUNCATED');
  t.equal(cut.list.length, 3);
  t.match(cut.error?.message ?? '', /^x\.pcap: truncated pcap record 4/);
  t.equal(datagrams(pcap.subarray(0, 30)).error?.code, 'ETRUNCATED', 'cut inside a record header');
  t.equal(datagrams(pcap.subarray(0, 10)).error?.code, 'ETRUNCATED', 'cut inside the file header');
  const huge = pcap.slice();
  new DataView(huge.buffer).setUint32(24 + 8, 0x7fffffff, true);
  t.equal(datagrams(huge).error?.code, 'EBADBLOCK');
  const badVersion = pcap.slice();
  badVersion[4] = 9;
  t.equal(datagrams(badVersion).error?.code, 'EBADBLOCK');

  const ng = encodePcapng(frames, { interfaces: [{ linkType: LINKTYPE_ETHERNET }] });
  const ngCut = datagrams(ng.subarray(0, ng.length - 8));
  t.equal(ngCut.error?.code, 'ETRUNCATED');
  t.equal(ngCut.list.length, 3);
  const trailer = ng.slice();
  trailer[trailer.length - 1] ^= 0x40;
  t.equal(datagrams(trailer).error?.code, 'EBADBLOCK', 'trailing length differs');
  const noIface = encodePcapng(frames, { interfaces: [{ linkType: LINKTYPE_ETHERNET }] });
  new DataView(noIface.buffer).setUint32(28 + 20 + 8, 7, true); // first EPB's interface id
  t.equal(datagrams(noIface).error?.code, 'EBADBLOCK', 'undeclared interface');
  const bom = ng.slice();
  bom[8] = 0;
  t.equal(datagrams(bom).error?.code, 'EBADBLOCK', 'bad byte-order magic');
});

t.test('link layers: Ethernet with VLAN and QinQ, SLL, SLL2, raw IP, BSD loopback in both orders', async (t) => {
  const ip = udp4(9);
  const vlan = new Uint8Array([...new Uint8Array(12), 0x88, 0xa8, 0, 1, 0x81, 0x00, 0, 2, 0x08, 0x00, ...ip]);
  t.equal(decodeOne(vlan, LINKTYPE_ETHERNET).length, 1, 'QinQ + 802.1Q');
  const sll = new Uint8Array(16 + ip.length);
  sll[14] = 0x08;
  sll.set(ip, 16);
  t.equal(decodeOne(sll, LINKTYPE_LINUX_SLL).length, 1, 'SLL');
  const sll2 = new Uint8Array(20 + ip.length);
  sll2[0] = 0x08;
  sll2.set(ip, 20);
  t.equal(decodeOne(sll2, LINKTYPE_LINUX_SLL2).length, 1, 'SLL2');
  t.equal(decodeOne(ip, LINKTYPE_RAW).length, 1, 'raw IP');
  t.equal(decodeOne(new Uint8Array([2, 0, 0, 0, ...ip]), LINKTYPE_NULL).length, 1, 'NULL, little-endian family');
  t.equal(decodeOne(new Uint8Array([0, 0, 0, 2, ...ip]), LINKTYPE_LOOP).length, 1, 'LOOP, big-endian family');
  t.equal(decodeOne(ip, 147).length, 0, 'unknown link type skipped');
  t.equal(decodeOne(new Uint8Array(5), LINKTYPE_ETHERNET).length, 0, 'runt frame skipped');
});

function ipv6Udp(extension: boolean, fragment?: { offset: number; more: boolean; id: number; body: Uint8Array }): Uint8Array {
  const udpBody =
    fragment?.body ??
    (() => {
      const b = new Uint8Array(8 + 12);
      new DataView(b.buffer).setUint16(0, 6000);
      new DataView(b.buffer).setUint16(2, 7000);
      new DataView(b.buffer).setUint16(4, b.length);
      b.set(payload(12), 8);
      return b;
    })();
  const ext = extension ? 8 : 0;
  const frag = fragment === undefined ? 0 : 8;
  const out = new Uint8Array(40 + ext + frag + udpBody.length);
  const v = new DataView(out.buffer);
  out[0] = 0x60;
  v.setUint16(4, ext + frag + udpBody.length);
  out[6] = extension ? 0 : fragment !== undefined ? 44 : 17;
  out[7] = 64;
  out[23] = 1; // ::1
  out.set([0x20, 0x01, 0x0d, 0xb8], 24);
  out[39] = 2; // 2001:db8::2
  let at = 40;
  if (extension) {
    out[at] = fragment !== undefined ? 44 : 17; // hop-by-hop, 8 bytes
    at += 8;
  }
  if (fragment !== undefined) {
    out[at] = 17;
    v.setUint16(at + 2, fragment.offset | (fragment.more ? 1 : 0));
    v.setUint32(at + 4, fragment.id);
    at += 8;
  }
  out.set(udpBody, at);
  return out;
}

t.test('IPv6 with extension headers; RFC 5952 address text', async (t) => {
  const list = decodeOne(ipv6Udp(true), LINKTYPE_RAW);
  t.equal(list.length, 1);
  t.same([list[0].src, list[0].dst, list[0].srcPort, list[0].dstPort, list[0].payload.length], ['::1', '2001:db8::2', 6000, 7000, 12]);
  t.equal(ipv6Text(new Uint8Array([0, 1, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 3]), 0), '1:0:0:2::3');
  t.equal(ipv6Text(new Uint8Array(16).fill(0xff), 0), 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff');
});

t.test('IPv4 fragments are reassembled in any order; incomplete ones are not delivered', async (t) => {
  const whole = udp4(3000, 77);
  const body = whole.subarray(20); // UDP header + payload
  const fragments: Uint8Array[] = [];
  for (let off = 0; off < body.length; off += 1480) {
    const piece = body.subarray(off, Math.min(off + 1480, body.length));
    const f = new Uint8Array(20 + piece.length);
    f.set(whole.subarray(0, 20));
    const v = new DataView(f.buffer);
    v.setUint16(2, f.length);
    v.setUint16(6, (off / 8) | (off + 1480 < body.length ? 0x2000 : 0));
    f.set(piece, 20);
    fragments.push(f);
  }
  t.equal(fragments.length, 3);
  for (const order of [
    [0, 1, 2],
    [2, 0, 1],
    [1, 2, 0],
  ]) {
    const decoder = createUdpDecoder();
    const out: UdpDatagram[] = [];
    for (const i of order) decodeFrame(decoder, frameOf(fragments[i], LINKTYPE_RAW), (d) => out.push(d));
    t.equal(out.length, 1, `order ${order.join(',')}`);
    t.same([...out[0].payload], [...payload(3000)]);
    t.equal(decoder.stats.reassembled, 1);
  }
  const decoder = createUdpDecoder();
  const out: UdpDatagram[] = [];
  decodeFrame(decoder, frameOf(fragments[0], LINKTYPE_RAW), (d) => out.push(d));
  decodeFrame(decoder, frameOf(fragments[2], LINKTYPE_RAW), (d) => out.push(d));
  t.equal(out.length, 0, 'a missing middle fragment');
});

t.test('IPv6 fragments are reassembled', async (t) => {
  const udpBody = new Uint8Array(8 + 100);
  const v = new DataView(udpBody.buffer);
  v.setUint16(0, 1);
  v.setUint16(2, 2);
  v.setUint16(4, udpBody.length);
  udpBody.set(payload(100), 8);
  const a = ipv6Udp(false, { offset: 0, more: true, id: 9, body: udpBody.subarray(0, 56) });
  const b = ipv6Udp(true, { offset: 56, more: false, id: 9, body: udpBody.subarray(56) });
  const decoder = createUdpDecoder();
  const out: UdpDatagram[] = [];
  decodeFrame(decoder, frameOf(b, LINKTYPE_RAW), (d) => out.push(d));
  decodeFrame(decoder, frameOf(a, LINKTYPE_RAW), (d) => out.push(d));
  t.equal(out.length, 1);
  t.same([...out[0].payload], [...payload(100)]);
});

t.test('not UDP, cut short, or UDP length past the data: skipped and counted', async (t) => {
  const tcp = udp4(10);
  tcp[9] = 6;
  const decoder = createUdpDecoder();
  const out: UdpDatagram[] = [];
  decodeFrame(decoder, frameOf(tcp, LINKTYPE_RAW), (d) => out.push(d));
  const badLength = udp4(10);
  new DataView(badLength.buffer).setUint16(24, 500);
  decodeFrame(decoder, frameOf(badLength, LINKTYPE_RAW), (d) => out.push(d));
  decodeFrame(decoder, frameOf(udp4(10).subarray(0, 24), LINKTYPE_RAW), (d) => out.push(d));
  t.equal(out.length, 0);
  t.equal(decoder.stats.notUdp, 1);
  t.equal(decoder.stats.malformed, 2);
});

t.test('frames are numbered from 1 as Wireshark does', async (t) => {
  const numbers: number[] = [];
  readCaptureFrames(
    encodePcap(
      [
        { timeMs: 0, data: udp4() },
        { timeMs: 1, data: udp4() },
      ],
      { linkType: LINKTYPE_RAW },
    ),
    'x',
    (f) => numbers.push(f.number),
  );
  t.same(numbers, [1, 2]);
});
