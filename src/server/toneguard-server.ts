// The server (`toneguard serve`): one object owning every long-lived part, started in
// dependency order and closed in reverse.
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { ToneguardConfig } from '../config/config-schema.js';
import { registerCallRoutes, type CallControl } from '../http/call-routes.js';
import { createHttpApp } from '../http/http-app.js';
import { registerHealthRoutes } from '../http/health-routes.js';

function formatHostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

export class ToneguardServer {
  readonly #logger: Logger;
  readonly #http: FastifyInstance;
  #config: ToneguardConfig;
  #draining = false;
  #httpUrl = '';

  private constructor(config: ToneguardConfig, logger: Logger, http: FastifyInstance) {
    this.#config = config;
    this.#logger = logger;
    this.#http = http;
  }

  static async start(config: ToneguardConfig, logger: Logger): Promise<ToneguardServer> {
    const http = createHttpApp({ token: config.http.token, logger });
    const server = new ToneguardServer(config, logger, http);
    registerHealthRoutes(http, { readiness: () => (server.#draining ? { ready: false, reasons: ['draining'] } : { ready: true, reasons: [] }) });
    const calls: CallControl = { list: () => [], get: () => undefined, setSecure: () => false };
    registerCallRoutes(http, calls);
    const address = await http.listen({ host: config.http.listen.host, port: config.http.listen.port });
    server.#httpUrl = address;
    logger.info({ http: address }, 'toneguard started');
    return server;
  }

  banner(): string {
    return [`toneguard: HTTP ${this.#httpUrl}`, `dashboard: ${this.#httpUrl}/dashboard`].join('\n');
  }

  reload(config: ToneguardConfig): void {
    this.#logger.level = config.log.level;
    this.#config = config;
    this.#logger.info('configuration reloaded');
  }

  async shutdown(graceMs: number): Promise<void> {
    this.#draining = true;
    void graceMs;
    await this.#http.close();
  }

  get address(): string {
    return formatHostPort(this.#config.http.listen.host, this.#config.http.listen.port);
  }
}
