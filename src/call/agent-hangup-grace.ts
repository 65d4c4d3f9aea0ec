// An agent hanging up under a payment (B2BUA mode; lifetime: the call's). While a payment runs the
// caller stays on to hear its result: the agent's BYE ends only the agent leg and tells the
// payment, which ends the call after its result prompt. Should it not, a backstop timer ends the
// call as `agent-hangup` so the caller's ports are not held for good.
import type { Leg } from './leg.js';

/**
 * After the agent hung up under a payment, the most the caller stays on to hear the result before
 * the call is ended anyway (ms): the payment ends it sooner, after its result prompt (a charge in
 * flight may take the gateway timeout, 30 s by default).
 */
const AGENT_GONE_GRACE_MS = 60_000;

/** What the grace needs of its call. */
export interface AgentHangupHost {
  /** The call's agent leg: its dialog is over once the agent's BYE was answered. */
  readonly agent: Leg;
  /** The grace ran out: the call ends as `agent-hangup`. */
  end(): void;
  contained<A extends unknown[]>(handler: (...args: A) => void): (...args: A) => void;
}

export class AgentHangupGrace {
  /** Set while a payment runs on the call: an agent's BYE then ends only the agent leg and calls it. */
  private onAgentHangup: (() => void) | null = null;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly host: AgentHangupHost) {}

  /** `handler` takes the agent's BYE from now on; null: an agent's BYE ends the whole call again. */
  keepCaller(handler: (() => void) | null): void {
    this.onAgentHangup = handler;
  }

  /** The agent's BYE (answered): true when a payment took it and the caller stays on, false when it ends the call. */
  agentLeft(): boolean {
    const handler = this.onAgentHangup;
    if (handler === null) return false;
    this.onAgentHangup = null;
    // The agent's dialog is over (its BYE was answered): nothing more is sent on it, not even our BYE.
    if (this.host.agent.dialog !== undefined) this.host.agent.dialog.state = 'terminated';
    this.timer = setTimeout(
      this.host.contained(() => this.host.end()),
      AGENT_GONE_GRACE_MS,
    );
    this.timer.unref();
    this.host.contained(handler)();
    return true;
  }

  /** The call ends: the backstop is not needed any more. */
  close(): void {
    clearTimeout(this.timer);
  }
}
