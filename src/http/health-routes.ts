// Health checks for load balancers and orchestrators (served without the token: createHttpApp's
// publicPaths). Live: the process answers HTTP. Ready: it takes new calls; a draining
// instance (after SIGTERM) or one whose SIP side is not listening answers 503, so that an
// HTTP-probing balancer stops sending it calls the same way Kamailio's OPTIONS probing does.
// Not ready is a problem (`not-ready`, problem.ts) whose `reasons` say why.
import type { FastifyInstance } from 'fastify';
import { json, PUBLIC_ERRORS, problemResponses } from './api-schema.js';
import { sendProblem } from './problem.js';

export interface Readiness {
  readonly ready: boolean;
  /** Short machine words for what is not ready (e.g. `draining`, `sip-not-listening`). */
  readonly reasons: readonly string[];
}

export interface HealthRoutesOptions {
  readiness(): Readiness;
}

const liveSchema = {
  summary: 'The process answers HTTP',
  tags: ['health'],
  response: { 200: json({ type: 'object', required: ['status'], properties: { status: { type: 'string', enum: ['live'] } } }, 'Live'), ...problemResponses(...PUBLIC_ERRORS) },
};

const readySchema = {
  summary: 'Whether the instance takes new calls',
  description: 'Not ready (503, problem `not-ready`) while starting, draining after SIGTERM, or with no upstream PBX up; `reasons` says which.',
  tags: ['health'],
  response: {
    200: json(
      { type: 'object', required: ['status', 'reasons'], properties: { status: { type: 'string', enum: ['ready'] }, reasons: { type: 'array', items: { type: 'string' }, maxItems: 0 } } },
      'Ready',
    ),
    ...problemResponses('not-ready', ...PUBLIC_ERRORS),
  },
};

export function registerHealthRoutes(app: FastifyInstance, options: HealthRoutesOptions): void {
  app.get('/health/live', { schema: liveSchema }, async (_request, reply) => reply.header('cache-control', 'no-store').send({ status: 'live' }));
  app.get('/health/ready', { schema: readySchema }, async (request, reply) => {
    let readiness: Readiness;
    try {
      readiness = options.readiness();
    } catch {
      readiness = { ready: false, reasons: ['readiness-check-failed'] };
    }
    reply.header('cache-control', 'no-store');
    if (!readiness.ready) return sendProblem(request, reply, 'not-ready', `not taking new calls: ${readiness.reasons.join(', ')}`, { extensions: { reasons: readiness.reasons } });
    return reply.code(200).send({ status: 'ready', reasons: readiness.reasons });
  });
}
