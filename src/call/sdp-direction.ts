// Direction algebra for SDP offer/answer (RFC 3264 §6.1, §8.4): a=sendrecv/sendonly/recvonly/
// inactive as (send, receive) flags from the writer's view, so an answer or the direction we
// relay is an intersection of flags rather than a table of cases.
import type { Direction, SdpMediaLine } from '../sip/sdp.js';
import { isNullAddress } from './sdp-limits.js';

/** Direction algebra: a direction as (we/they send, we/they receive) from the writer's view. */
function flags(d: Direction): { send: boolean; recv: boolean } {
  return { send: d === 'sendrecv' || d === 'sendonly', recv: d === 'sendrecv' || d === 'recvonly' };
}

function fromFlags(send: boolean, recv: boolean): Direction {
  if (send && recv) return 'sendrecv';
  if (send) return 'sendonly';
  if (recv) return 'recvonly';
  return 'inactive';
}

/** The same stream seen from the other end. */
export function reverseDirection(d: Direction): Direction {
  const f = flags(d);
  return fromFlags(f.recv, f.send);
}

/** What both directions allow: each flag in both. */
export function intersectDirections(a: Direction, b: Direction): Direction {
  const fa = flags(a);
  const fb = flags(b);
  return fromFlags(fa.send && fb.send, fa.recv && fb.recv);
}

/** The writer's direction with c=0.0.0.0 read as "do not send to me". */
export function effectiveDirection(m: SdpMediaLine): Direction {
  return isNullAddress(m.address) ? intersectDirections(m.direction, 'sendonly') : m.direction;
}
