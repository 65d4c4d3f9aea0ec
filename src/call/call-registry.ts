// The index of the server's calls (lifetime: the CallManager's). A call is found by toneguard's
// id, by either leg's SIP Call-ID (the PBX side knows only its own), and by dialog (Call-ID and
// our tag) for the requests inside it; calls are counted per source address for the per-source
// limit, and the TCP/TLS connections a call's dialogs live on are held while it lasts. What a call
// put in is taken out, all of it, when the call ends.
import type { LegName } from '../media/media-session.js';
import type { Call } from './call.js';

export class CallRegistry {
  private readonly byId = new Map<string, Call>();
  /** Every leg's SIP Call-ID (caller, and each INVITE towards a PBX). */
  private readonly bySipCallId = new Map<string, Call>();
  private readonly sipCallIds = new Map<Call, string[]>();
  private readonly byDialog = new Map<string, { readonly call: Call; readonly leg: LegName }>();
  private readonly dialogKeys = new Map<Call, string[]>();
  private readonly perSource = new Map<string, number>();
  /** Releases of the TCP/TLS connections a call's dialogs live on (kept open while it lasts). */
  private readonly heldConnections = new Map<Call, (() => void)[]>();

  get size(): number {
    return this.byId.size;
  }

  /** Calls in progress. */
  calls(): Call[] {
    return [...this.byId.values()];
  }

  /** A call by toneguard's id or either leg's SIP Call-ID. */
  get(id: string): Call | undefined {
    return this.byId.get(id) ?? this.bySipCallId.get(id);
  }

  /** Whether a leg of a call here has this SIP Call-ID (a second INVITE with it is a loop). */
  hasSipCallId(callId: string): boolean {
    return this.bySipCallId.has(callId);
  }

  /** The call and leg of the dialog our tag `localTag` names under `callId`. */
  dialog(callId: string | undefined, localTag: string): { readonly call: Call; readonly leg: LegName } | undefined {
    return this.byDialog.get(`${callId}|${localTag}`);
  }

  /** Calls from this source address (per-source limit). */
  fromSource(address: string): number {
    return this.perSource.get(address) ?? 0;
  }

  /** A new call, counted against its source; `release` frees the connection its caller came on. */
  add(call: Call, release: () => void): void {
    this.byId.set(call.id, call);
    this.heldConnections.set(call, [release]);
    this.perSource.set(call.source.address, this.fromSource(call.source.address) + 1);
  }

  /** Another connection the call's dialogs live on (towards a PBX), released when the call ends. */
  hold(call: Call, release: () => void): void {
    this.heldConnections.get(call)?.push(release);
  }

  /** A leg's dialog is known under Call-ID and our tag: in-dialog requests reach it. */
  register(call: Call, leg: LegName, callId: string, localTag: string): void {
    const key = `${callId}|${localTag}`;
    // First come keeps a Call-ID (a caller cannot take over another call's id by reusing it).
    if (!this.bySipCallId.has(callId)) {
      this.bySipCallId.set(callId, call);
      this.sipCallIds.set(call, [...(this.sipCallIds.get(call) ?? []), callId]);
    }
    this.byDialog.set(key, { call, leg });
    this.dialogKeys.set(call, [...(this.dialogKeys.get(call) ?? []), key]);
  }

  /** The call ended: all of it is taken out. False when it was not (or no longer) in the index. */
  remove(call: Call): boolean {
    if (this.byId.get(call.id) !== call) return false;
    this.byId.delete(call.id);
    // In-dialog requests still in flight (a retransmitted BYE) get 481 from now on.
    for (const key of this.dialogKeys.get(call) ?? []) this.byDialog.delete(key);
    this.dialogKeys.delete(call);
    for (const release of this.heldConnections.get(call) ?? []) release();
    this.heldConnections.delete(call);
    for (const id of this.sipCallIds.get(call) ?? []) this.bySipCallId.delete(id);
    this.sipCallIds.delete(call);
    const n = (this.perSource.get(call.source.address) ?? 1) - 1;
    if (n <= 0) this.perSource.delete(call.source.address);
    else this.perSource.set(call.source.address, n);
    return true;
  }
}
