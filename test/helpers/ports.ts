// Fixed ports in tests, safe when tap runs several test files at once ("jobs" in package.json).
// tap gives every running file a job slot, TAP_JOB_ID = 0..jobs-1, distinct among the files
// running at the same moment (0 when a file runs outside tap). A test that needs a port up front
// (baresip, Kamailio, a config with sip.listen, a fixed RTP peer) writes the slot-0 number from
// the plan below and passes it through testPort(): slot 0 keeps the number, every other slot
// moves it into a block of its own, so two files running at once never share a fixed port,
// whatever numbers they picked. Anything that can bind port 0 should (no plan needed).
//
// Slot-0 plan (docs/architecture.md, "Tests"):
//   4000-5999    SIP listeners, baresip ctrl_tcp, Kamailio
//   8500-8599    gateway simulators (gateway.url of a server under test)
//   30000-37999  RTP: a server's rtp.ports, baresip rtp_ports, fixed RTP peers (two planned
//                ranges, 30000-33999 and 34000-37999, so that slot 3 finds room for them)
// Not in the plan and never bound by another test: the embedded defaults that `npm start` uses
// (SIP 5060, HTTP 8080, simulator 8443, RTP 20000-29999), and the 51000-59999 blocks of tests that
// bind fixed ports of their own.

/** A slot-0 range and where it lands for each slot (slot s uses shifts[s]). */
interface PlannedRange {
  readonly first: number;
  readonly last: number;
  readonly shifts: readonly number[];
}

// Images, slot 1: 6000-7999, 9500-9599, 10000-17999 (below the kernel's ephemeral range
// 32768-60999, so a socket bound to port 0 by the other file cannot take them); slot 2:
// 2000-3999, 9600-9699, 38000-45999; slot 3: 18000-19999, 9700-9799, 46000-49999 and
// 61000-64999 (above the ephemeral range).
const PLAN: readonly PlannedRange[] = [
  { first: 4000, last: 5999, shifts: [0, 2000, -2000, 14000] },
  { first: 8500, last: 8599, shifts: [0, 1000, 1100, 1200] },
  { first: 30000, last: 33999, shifts: [0, -20000, 8000, 16000] },
  { first: 34000, last: 37999, shifts: [0, -20000, 8000, 27000] },
];

/** In a planned range but the default SIP port, which only the `npm start` test binds. */
const RESERVED = 5060;

/** Slots the plan has room for: `jobs` in package.json must not exceed this. */
export const TEST_PORT_SLOTS = 4;

function slotFromEnv(value: string | undefined): number {
  const slot = Number(value ?? '0');
  if (!Number.isInteger(slot) || slot < 0 || slot >= TEST_PORT_SLOTS) {
    throw new Error(`TAP_JOB_ID=${value}: test/helpers/ports.ts has port blocks for ${TEST_PORT_SLOTS} concurrent test files (tap "jobs")`);
  }
  return slot;
}

/** This file's job slot. */
export const TEST_SLOT = slotFromEnv(process.env.TAP_JOB_ID);

/** The port this file uses for the planned slot-0 port `port` (the same number in slot 0). */
export function testPort(port: number, slot = TEST_SLOT): number {
  const range = PLAN.find((r) => port >= r.first && port <= r.last);
  if (range === undefined) throw new Error(`port ${port} is outside the test port plan (test/helpers/ports.ts)`);
  if (port === RESERVED) throw new Error(`port ${port} is the default SIP port, left to the npm start test`);
  return port + (range.shifts[slot] ?? 0);
}

/** testPort() of both ends of "FIRST-LAST" (one planned range), in the same form. */
export function testPortRange(range: string, slot = TEST_SLOT): string {
  const m = /^(\d+)-(\d+)$/.exec(range);
  if (m === null) throw new Error(`port range "${range}" must look like FIRST-LAST`);
  const first = Number(m[1]);
  const last = Number(m[2]);
  const planned = PLAN.find((r) => first >= r.first && last <= r.last);
  if (planned === undefined || first > last) throw new Error(`port range ${range} is not inside one range of the test port plan (test/helpers/ports.ts)`);
  if (first <= RESERVED && RESERVED <= last) throw new Error(`port range ${range} holds ${RESERVED}, the default SIP port, left to the npm start test`);
  return `${testPort(first, slot)}-${testPort(last, slot)}`;
}
