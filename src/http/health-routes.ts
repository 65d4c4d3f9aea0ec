// Liveness and readiness for load balancers and systemd/Kubernetes probes: live while the
// process serves HTTP; ready while it takes calls (not draining, SIP and stores up).
import type { FastifyInstance } from 'fastify';

export interface Readiness {
  /** Empty when ready; otherwise what is not (e.g. "draining", "sip"). */
  notReady(): readonly string[];
}

export function registerHealthRoutes(app: FastifyInstance, readiness: Readiness): void {
  app.get('/health/live', async () => ({ status: 'live' }));
  app.get('/health/ready', async (_request, reply) => {
    const missing = readiness.notReady();
    if (missing.length > 0) return reply.code(503).send({ status: 'not-ready', reasons: missing });
    return { status: 'ready' };
  });
}
