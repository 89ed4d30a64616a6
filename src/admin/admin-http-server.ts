import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Fastify, { type FastifyInstance } from 'fastify';
import fastifyStatic from '@fastify/static';
import type { Logger } from '../logger.js';
import { registerAdminApi, HttpError, type AdminApiDeps } from './admin-api.js';

/** The dashboard's files are served from the source tree: plain HTML, CSS and browser modules, nothing to build. */
const DASHBOARD_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'src', 'admin', 'dashboard');

export interface AdminHttpOptions extends AdminApiDeps {
  host: string;
  port: number;
  log: Logger;
  /** why the gateway cannot serve now, or undefined when it can */
  notReady: () => string | undefined;
}

/**
 * The admin HTTP server: /healthz and /readyz, the JSON API, /metrics in Prometheus text, and the
 * dashboard at /. Errors are JSON `{ "error": message }` with their status.
 */
export class AdminHttpServer {
  private readonly app: FastifyInstance;

  constructor(private readonly opts: AdminHttpOptions) {
    this.app = Fastify({ logger: false, bodyLimit: 64 * 1024 });
    const app = this.app;
    app.setErrorHandler((err, req, reply) => {
      if (err instanceof HttpError) return reply.code(err.statusCode).send({ error: err.message });
      const status = (err as { statusCode?: number }).statusCode;
      if (status !== undefined && status >= 400 && status < 500) return reply.code(status).send({ error: (err as Error).message });
      opts.log.error({ err, url: req.url }, 'admin request failed');
      return reply.code(500).send({ error: (err as Error).message });
    });
    app.setNotFoundHandler((req, reply) => reply.code(404).send({ error: `no such endpoint: ${req.method} ${req.url.split('?')[0]}` }));
    app.get('/healthz', async () => ({ status: 'ok' }));
    app.get('/readyz', async (_req, reply) => {
      const reason = opts.notReady();
      if (reason !== undefined) return reply.code(503).send({ status: 'not ready', reason });
      return { status: 'ready' };
    });
    app.get('/metrics', async (_req, reply) => {
      reply.header('content-type', opts.metrics.registry.contentType);
      return opts.metrics.registry.metrics();
    });
    registerAdminApi(app, opts);
    void app.register(fastifyStatic, { root: DASHBOARD_DIR, prefix: '/', index: 'index.html' });
  }

  /** Listens; resolves with the bound port. */
  async listen(): Promise<number> {
    await this.app.listen({ host: this.opts.host, port: this.opts.port });
    const addr = this.app.server.address();
    return typeof addr === 'object' && addr ? addr.port : this.opts.port;
  }

  close(): Promise<void> {
    return this.app.close();
  }
}
