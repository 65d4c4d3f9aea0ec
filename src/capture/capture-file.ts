// pcap and pcapng container parsing: bytes in, link-layer frames with timestamps out.
// pcap: https://datatracker.ietf.org/doc/draft-ietf-opsawg-pcap/ (both byte orders, µs and ns
// magic numbers). pcapng: https://datatracker.ietf.org/doc/draft-ietf-opsawg-pcapng/ (SHB, IDB,
// EPB, SPB and the obsolete PB; several sections and interfaces, either byte order per section,
// if_tsresol). Written by hand: npm's pcap readers are unmaintained and each covers one format.
import { CaptureError } from './capture-error.js';

export type CaptureFormat = 'pcap' | 'pcapng';

/** One captured link-layer frame. `data` is a view into the capture bytes (no copy). */
export interface CaptureFrame {
  /** 1-based, in file order, as Wireshark numbers frames. */
  readonly number: number;
  /** LINKTYPE_* value of the frame's interface. */
  readonly linkType: number;
  /** Capture time, ms since the Unix epoch (fractional). */
  readonly timeMs: number;
  readonly data: Uint8Array;
  /** Length on the wire, bytes (more than data.length when the snap length cut the frame). */
  readonly originalLength: number;
}

export interface CaptureFileSummary {
  readonly format: CaptureFormat;
  readonly frames: number;
  /** The first unreadable part; frames before it were delivered. */
  readonly error: CaptureError | undefined;
}

const PCAP_MAGIC_US = 0xa1b2c3d4;
const PCAP_MAGIC_NS = 0xa1b23c4d;
const PCAP_MAGIC_US_SWAPPED = 0xd4c3b2a1;
const PCAP_MAGIC_NS_SWAPPED = 0x4d3cb2a1;
const PCAP_HEADER_BYTES = 24;
const PCAP_RECORD_HEADER_BYTES = 16;
/** Larger records are corruption (libpcap's own limit for a record is 256 KiB; we allow 16 MiB). */
const MAX_RECORD_BYTES = 16 * 1024 * 1024;

const PCAPNG_SHB = 0x0a0d0d0a;
const PCAPNG_BYTE_ORDER_MAGIC = 0x1a2b3c4d;
const PCAPNG_IDB = 0x00000001;
const PCAPNG_PB = 0x00000002; // obsolete Packet Block
const PCAPNG_SPB = 0x00000003;
const PCAPNG_EPB = 0x00000006;
const PCAPNG_OPT_END = 0;
const PCAPNG_OPT_IF_TSRESOL = 9;
const PCAPNG_MIN_BLOCK_BYTES = 12;

export function detectCaptureFormat(bytes: Uint8Array): CaptureFormat | undefined {
  if (bytes.length < 4) return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magic = view.getUint32(0, false);
  if (magic === PCAPNG_SHB) return 'pcapng';
  if (magic === PCAP_MAGIC_US || magic === PCAP_MAGIC_NS || magic === PCAP_MAGIC_US_SWAPPED || magic === PCAP_MAGIC_NS_SWAPPED) return 'pcap';
  return undefined;
}

/**
 * Calls `onFrame` for every frame of a pcap or pcapng capture, in file order. Never throws for
 * bad content: a capture that cannot be read at all is ENOTCAPTURE/EEMPTY in `error` with 0 frames.
 */
export function readCaptureFrames(bytes: Uint8Array, file: string, onFrame: (frame: CaptureFrame) => void): CaptureFileSummary {
  if (bytes.length === 0) return { format: 'pcap', frames: 0, error: new CaptureError('EEMPTY', file, 'empty file (0 bytes)') };
  const format = detectCaptureFormat(bytes);
  if (format === undefined) {
    return { format: 'pcap', frames: 0, error: new CaptureError('ENOTCAPTURE', file, 'not a pcap or pcapng capture (unknown magic number)', 0) };
  }
  return format === 'pcap' ? readPcap(bytes, file, onFrame) : readPcapng(bytes, file, onFrame);
}

function readPcap(bytes: Uint8Array, file: string, onFrame: (frame: CaptureFrame) => void): CaptureFileSummary {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let frames = 0;
  const summary = (error: CaptureError | undefined): CaptureFileSummary => ({ format: 'pcap', frames, error });
  if (bytes.length < PCAP_HEADER_BYTES) return summary(new CaptureError('ETRUNCATED', file, `truncated pcap file header (${bytes.length} of 24 bytes)`, 0));
  const magicBig = view.getUint32(0, false);
  const little = magicBig === PCAP_MAGIC_US_SWAPPED || magicBig === PCAP_MAGIC_NS_SWAPPED;
  const nanoseconds = magicBig === PCAP_MAGIC_NS || magicBig === PCAP_MAGIC_NS_SWAPPED;
  const major = view.getUint16(4, little);
  if (major !== 2) return summary(new CaptureError('EBADBLOCK', file, `unsupported pcap version ${major}`, 4));
  // The low 16 bits are the link type; the upper bits may carry FCS information.
  const linkType = view.getUint32(20, little) & 0xffff;
  const fractionPerMs = nanoseconds ? 1e6 : 1e3;
  let at = PCAP_HEADER_BYTES;
  while (at < bytes.length) {
    if (at + PCAP_RECORD_HEADER_BYTES > bytes.length) {
      return summary(new CaptureError('ETRUNCATED', file, `truncated pcap record header after frame ${frames}`, at));
    }
    const seconds = view.getUint32(at, little);
    const fraction = view.getUint32(at + 4, little);
    const included = view.getUint32(at + 8, little);
    const original = view.getUint32(at + 12, little);
    if (included > MAX_RECORD_BYTES) {
      return summary(new CaptureError('EBADBLOCK', file, `pcap record ${frames + 1} declares ${included} bytes (corrupt)`, at));
    }
    const start = at + PCAP_RECORD_HEADER_BYTES;
    if (start + included > bytes.length) {
      return summary(new CaptureError('ETRUNCATED', file, `truncated pcap record ${frames + 1}: ${included} bytes declared, ${bytes.length - start} present`, at));
    }
    frames++;
    onFrame({ number: frames, linkType, timeMs: seconds * 1000 + fraction / fractionPerMs, data: bytes.subarray(start, start + included), originalLength: original });
    at = start + included;
  }
  return summary(undefined);
}

interface PcapngInterface {
  readonly linkType: number;
  /** Timestamp units per ms. */
  readonly unitsPerMs: number;
}

/** if_tsresol: MSB clear, 10^-n s; MSB set, 2^-n s (pcapng §4.2). Units per ms. */
function tsresolUnitsPerMs(value: number): number {
  const exponent = value & 0x7f;
  return (value & 0x80) === 0 ? 10 ** exponent / 1000 : 2 ** exponent / 1000;
}

function readPcapng(bytes: Uint8Array, file: string, onFrame: (frame: CaptureFrame) => void): CaptureFileSummary {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let frames = 0;
  const summary = (error: CaptureError | undefined): CaptureFileSummary => ({ format: 'pcapng', frames, error });
  let little = true;
  let interfaces: PcapngInterface[] = [];
  let lastTimeMs = 0;
  let at = 0;
  while (at < bytes.length) {
    if (at + PCAPNG_MIN_BLOCK_BYTES > bytes.length) {
      return summary(new CaptureError('ETRUNCATED', file, `truncated pcapng block header after frame ${frames}`, at));
    }
    // The block type of an SHB reads the same in both byte orders; its byte-order magic decides.
    let type = view.getUint32(at, little);
    if (view.getUint32(at, false) === PCAPNG_SHB) {
      if (at + 16 > bytes.length) return summary(new CaptureError('ETRUNCATED', file, 'truncated section header block', at));
      const bom = view.getUint32(at + 8, true);
      if (bom === PCAPNG_BYTE_ORDER_MAGIC) little = true;
      else if (view.getUint32(at + 8, false) === PCAPNG_BYTE_ORDER_MAGIC) little = false;
      else return summary(new CaptureError('EBADBLOCK', file, 'section header block with a bad byte-order magic', at));
      type = PCAPNG_SHB;
      interfaces = [];
    }
    const length = view.getUint32(at + 4, little);
    if (length < PCAPNG_MIN_BLOCK_BYTES || length % 4 !== 0 || length > MAX_RECORD_BYTES) {
      return summary(new CaptureError('EBADBLOCK', file, `pcapng block of impossible length ${length} after frame ${frames}`, at));
    }
    if (at + length > bytes.length) {
      return summary(new CaptureError('ETRUNCATED', file, `truncated pcapng block after frame ${frames}: ${length} bytes declared, ${bytes.length - at} present`, at));
    }
    if (view.getUint32(at + length - 4, little) !== length) {
      return summary(new CaptureError('EBADBLOCK', file, `pcapng block after frame ${frames}: trailing length differs from the leading one`, at));
    }
    const body = at + 8;
    const bodyEnd = at + length - 4;
    if (type === PCAPNG_IDB) {
      if (bodyEnd - body < 8) return summary(new CaptureError('EBADBLOCK', file, 'interface description block too short', at));
      const linkType = view.getUint16(body, little);
      let unitsPerMs = 1000; // default resolution: µs
      let opt = body + 8;
      while (opt + 4 <= bodyEnd) {
        const code = view.getUint16(opt, little);
        const optLength = view.getUint16(opt + 2, little);
        if (code === PCAPNG_OPT_END) break;
        if (opt + 4 + optLength > bodyEnd) break; // bad options do not hide the interface
        if (code === PCAPNG_OPT_IF_TSRESOL && optLength >= 1) unitsPerMs = tsresolUnitsPerMs(bytes[opt + 4]);
        opt += 4 + ((optLength + 3) & ~3);
      }
      interfaces.push({ linkType, unitsPerMs });
    } else if (type === PCAPNG_EPB || type === PCAPNG_PB) {
      if (bodyEnd - body < 20) return summary(new CaptureError('EBADBLOCK', file, `packet block too short after frame ${frames}`, at));
      const interfaceId = type === PCAPNG_EPB ? view.getUint32(body, little) : view.getUint16(body, little);
      const iface = interfaces[interfaceId];
      if (iface === undefined) {
        return summary(new CaptureError('EBADBLOCK', file, `packet block for undeclared interface ${interfaceId} after frame ${frames}`, at));
      }
      // Split so that epoch nanoseconds (> 2^53) keep what precision a double in ms can hold.
      const high = view.getUint32(body + 4, little);
      const low = view.getUint32(body + 8, little);
      const captured = view.getUint32(body + 12, little);
      const original = view.getUint32(body + 16, little);
      if (body + 20 + captured > bodyEnd) {
        return summary(new CaptureError('EBADBLOCK', file, `packet block after frame ${frames} declares ${captured} captured bytes, more than the block holds`, at));
      }
      lastTimeMs = high * (4294967296 / iface.unitsPerMs) + low / iface.unitsPerMs;
      frames++;
      onFrame({ number: frames, linkType: iface.linkType, timeMs: lastTimeMs, data: bytes.subarray(body + 20, body + 20 + captured), originalLength: original });
    } else if (type === PCAPNG_SPB) {
      // Simple Packet Block: interface 0, no timestamp (we keep the previous frame's).
      const iface = interfaces[0];
      if (iface === undefined) return summary(new CaptureError('EBADBLOCK', file, 'simple packet block without an interface', at));
      if (bodyEnd - body < 4) return summary(new CaptureError('EBADBLOCK', file, 'simple packet block too short', at));
      const original = view.getUint32(body, little);
      const captured = Math.min(original, bodyEnd - body - 4);
      frames++;
      onFrame({ number: frames, linkType: iface.linkType, timeMs: lastTimeMs, data: bytes.subarray(body + 4, body + 4 + captured), originalLength: original });
    }
    // Other blocks (NRB, ISB, DSB, custom) carry nothing replay needs.
    at += length;
  }
  return summary(undefined);
}
