// The widget's HTTP routes: the page and its live state over Server-Sent Events (WHATWG HTML
// §9.2). Authentication is the app's hook (createHttpApp): the page is public (the same static
// bytes for every call, nothing from the request in it; it finds its token in the URL fragment),
// the stream needs the master token or a widget token of that call. The payment commands the
// page sends (POST /calls/:id/payments, POST /calls/:id/payments/:pid) belong to the call API
// and are registered there, not here.
import type { FastifyInstance } from 'fastify';
import { callIdParams, problemResponses, PUBLIC_ERRORS, WIDGET_ERRORS } from '../api-schema.js';
import { sendProblem } from '../problem.js';
import type { WidgetHub, WidgetEvent } from './widget-hub.js';
import { WIDGET_NOT_FOUND_CSP, WIDGET_NOT_FOUND_HTML, WIDGET_PAGE_CSP, WIDGET_PAGE_HTML } from './widget-page.js';
import { initialWidgetState, type WidgetState } from './widget-state.js';

/** The body the page POSTs to `/calls/:id/payments` (amount as typed, a decimal string). */
export interface WidgetStartPaymentBody {
  readonly amount: string;
  /** ISO 4217, upper case; absent: the server's default currency. */
  readonly currency?: string;
  readonly customerId: string;
  readonly merchantId?: string;
  readonly reference?: string;
  /** A fresh UUID per click, so that a retried request does not start a second payment. */
  readonly idempotencyKey: string;
}

/** The body the page POSTs to `/calls/:id/payments/:pid` to cancel. */
export interface WidgetCancelPaymentBody {
  readonly status: 'cancel';
}

export interface WidgetRoutesOptions {
  readonly hub: WidgetHub;
  /** Comment lines on idle streams, so that proxies and browsers keep them open (ms). */
  readonly heartbeatMs?: number;
  /** Open streams per call; more get 429 (one agent, a supervisor, a reload or two). */
  readonly maxStreamsPerCall?: number;
  /**
   * Whether a call id (toneguard's, after the call routes resolved a leg's Call-ID) names a live
   * call: the page of any other id is a 404 "no such call" page (a call that ended recently still
   * gets the widget, which says so). Default: every id is served.
   */
  readonly callKnown?: (callId: string) => boolean;
}

// SIP Call-IDs are short in practice; this bounds what a URL can make the hub key on.
const MAX_CALL_ID_LENGTH = 256;

const params = callIdParams('callId');
const pageSchema = {
  summary: "The agent's widget page (the token goes in the URL fragment: #token=...)",
  tags: ['widget'],
  params,
  response: {
    ...problemResponses('bad-request', ...PUBLIC_ERRORS),
    200: { description: 'The same static page for every call', content: { 'text/html': { schema: { type: 'string' } } } },
    404: { description: 'A readable "No such call" page (HTML, no script) for a call toneguard does not know', content: { 'text/html': { schema: { type: 'string' } } } },
  },
};
const eventsSchema = {
  summary: "The call's masked payment progress as Server-Sent Events",
  description: 'Events: `state` (the masked widget state, JSON) on connect and on every change; `end` when the call ends.',
  tags: ['widget'],
  params,
  response: { 200: { description: 'An event stream', content: { 'text/event-stream': { schema: { type: 'string' } } } }, ...problemResponses('bad-request', 'too-many-streams', ...WIDGET_ERRORS) },
};

function sseEvent(name: string, data: unknown): string {
  return `event: ${name}\ndata: ${JSON.stringify(data)}\n\n`;
}

export function registerWidgetRoutes(app: FastifyInstance, options: WidgetRoutesOptions): void {
  const { hub } = options;
  const heartbeatMs = options.heartbeatMs ?? 15_000;
  const maxStreamsPerCall = options.maxStreamsPerCall ?? 16;
  const openStreams = new Set<() => void>();

  app.get<{ Params: { callId: string } }>('/widget/:callId', { config: { access: 'public' }, schema: pageSchema }, async (request, reply) => {
    const { callId } = request.params;
    if (callId.length > MAX_CALL_ID_LENGTH) return sendProblem(request, reply, 'bad-request', 'call id too long');
    const known = options.callKnown === undefined || options.callKnown(callId) || hub.snapshot(callId) !== undefined || hub.hasEnded(callId);
    if (!known) {
      return reply
        .code(404)
        .header('content-type', 'text/html; charset=utf-8')
        .header('content-security-policy', WIDGET_NOT_FOUND_CSP)
        .header('cache-control', 'no-store')
        .header('referrer-policy', 'no-referrer')
        .header('x-content-type-options', 'nosniff')
        .send(WIDGET_NOT_FOUND_HTML);
    }
    return reply
      .header('content-type', 'text/html; charset=utf-8')
      .header('content-security-policy', WIDGET_PAGE_CSP)
      .header('cache-control', 'no-store')
      .header('referrer-policy', 'no-referrer')
      .header('x-content-type-options', 'nosniff')
      .send(WIDGET_PAGE_HTML);
  });

  app.get<{ Params: { callId: string } }>('/widget/:callId/events', { config: { access: 'watch' }, schema: eventsSchema }, (request, reply) => {
    const { callId } = request.params;
    if (callId.length > MAX_CALL_ID_LENGTH) return sendProblem(request, reply, 'bad-request', 'call id too long');
    if (hub.listenerCount(callId) >= maxStreamsPerCall) return sendProblem(request, reply, 'too-many-streams', `at most ${maxStreamsPerCall} streams per call`);

    // From here on the response is ours (fastify's raw reply): a stream that outlives the handler.
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
      // nginx and similar proxies buffer responses unless told not to.
      'x-accel-buffering': 'no',
    });
    // Reconnect after 3 s when the connection drops (the page closes it itself on `end`).
    res.write('retry: 3000\n\n');

    const snapshot: WidgetState | undefined = hub.snapshot(callId);
    if (!snapshot && hub.hasEnded(callId)) {
      res.end(sseEvent('end', {}));
      return;
    }
    res.write(sseEvent('state', snapshot ?? initialWidgetState(callId)));

    let finished = false;
    const finish = (): void => {
      if (finished) return;
      finished = true;
      clearInterval(heartbeat);
      unsubscribe();
      openStreams.delete(finish);
      if (!res.writableEnded) res.end();
    };
    const unsubscribe = hub.subscribe(callId, (event: WidgetEvent) => {
      if (finished) return;
      if (event.type === 'state') {
        res.write(sseEvent('state', event.state));
      } else {
        // One write for the last event and the end of the stream: the page closes the
        // EventSource on `end`, and a terminating chunk arriving after that makes the browser
        // see a cancelled response instead of a complete one.
        res.end(sseEvent('end', {}));
        finish();
      }
    });
    const heartbeat = setInterval(() => {
      if (!finished) res.write(': heartbeat\n\n');
    }, heartbeatMs);
    heartbeat.unref();
    openStreams.add(finish);
    // The client went away (tab closed, network): stop writing and let go of the hub.
    res.on('close', finish);
    res.on('error', finish);
  });

  // Open streams would keep app.close() waiting forever: end them first.
  app.addHook('preClose', async () => {
    for (const finish of [...openStreams]) finish();
  });
}
