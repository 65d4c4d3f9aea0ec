// Health checks for load balancers and orchestrators (served without the token: createHttpApp's
// publicPaths). Live: the process answers HTTP. Ready: it takes new calls; a draining
// instance (after SIGTERM) or one whose SIP side is not listening answers 503, so that an
// HTTP-probing balancer stops sending it calls the same way Kamailio's OPTIONS probing does.
import type { FastifyInstance } from 'fastify';

export interface Readiness {
  readonly ready: boolean;
  /** Short machine words for what is not ready (e.g. `draining`, `sip-not-listening`). */
  readonly reasons: readonly string[];
}

export interface HealthRoutesOptions {
  readiness(): Readiness;
}

export function registerHealthRoutes(app: FastifyInstance, options: HealthRoutesOptions): void {
  app.get('/health/live', async (_request, reply) => reply.header('cache-control', 'no-store').send({ status: 'live' }));
  app.get('/health/ready', async (_request, reply) => {
    let readiness: Readiness;
    try {
      readiness = options.readiness();
    } catch {
      readiness = { ready: false, reasons: ['readiness-check-failed'] };
    }
    return reply
      .code(readiness.ready ? 200 : 503)
      .header('cache-control', 'no-store')
      .send({ status: readiness.ready ? 'ready' : 'not-ready', reasons: readiness.reasons });
  });
}
