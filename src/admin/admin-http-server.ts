import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Fastify, { type FastifyInstance } from 'fastify';
import fastifyStatic from '@fastify/static';
import type { Logger } from '../logger.js';
import { registerAdminApi, registerGrpcClientApi, type AdminApiDeps } from './admin-api.js';
import { BrokerError } from '../errors/broker-error.js';
import { httpRefusal } from '../errors/boundaries.js';
import { guardAdminAccess, markRoutes, type AdminAccess } from './admin-access.js';
import { registerOperationsApi } from './operations-api.js';

/** The dashboard's files are served from the source tree: plain HTML, CSS and browser modules, nothing to build. */
const DASHBOARD_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'src', 'admin', 'dashboard');
/** The charting library's browser build, served with the page from the installed package (no CDN). */
const UPLOT_DIR = dirname(createRequire(import.meta.url).resolve('uplot'));

/**
 * Connections the admin server takes at once: probes, a Prometheus scraper and a few dashboards need a handful, and a
 * client opening more (or sending its requests slowly) cannot take the gateway's descriptors.
 */
export const ADMIN_MAX_CONNECTIONS = 128;
/**
 * A request's headers must arrive within HEADERS_TIMEOUT_MS and the whole request within REQUEST_TIMEOUT_MS (checked
 * every TIMEOUT_CHECK_MS); a kept-alive connection waits KEEP_ALIVE_TIMEOUT_MS for its next request (Node's default)
 * and any connection silent for IDLE_TIMEOUT_MS is closed.
 */
const HEADERS_TIMEOUT_MS = 10_000;
const REQUEST_TIMEOUT_MS = 30_000;
const TIMEOUT_CHECK_MS = 2_000;
const KEEP_ALIVE_TIMEOUT_MS = 5_000;
const IDLE_TIMEOUT_MS = 60_000;

export interface AdminHttpOptions {
  host: string;
  port: number;
  log: Logger;
  access: AdminAccess;
}

/** What the server answers from once the gateway has started. */
export interface AdminServices extends AdminApiDeps {
  /** why the gateway cannot serve now, or undefined when it can */
  notReady: () => string | undefined;
}

/**
 * The admin HTTP server: /healthz and /readyz, the JSON API, /metrics in Prometheus text, and the
 * dashboard at /, behind the Host and token checks of `guardAdminAccess`. Errors are JSON
 * `{ "error": message }` with their status. It listens before the store opens (attaching to Pulsar can
 * take a while), answering health checks at once and the rest with 503 until `serve` hands it the
 * gateway's services.
 */
export class AdminHttpServer {
  private readonly app: FastifyInstance;
  private services?: AdminServices;

  constructor(private readonly opts: AdminHttpOptions) {
    this.app = Fastify({
      logger: false,
      bodyLimit: 64 * 1024,
      http: { headersTimeout: HEADERS_TIMEOUT_MS, connectionsCheckingInterval: TIMEOUT_CHECK_MS },
      requestTimeout: REQUEST_TIMEOUT_MS,
      keepAliveTimeout: KEEP_ALIVE_TIMEOUT_MS,
      connectionTimeout: IDLE_TIMEOUT_MS,
    });
    const app = this.app;
    app.server.maxConnections = ADMIN_MAX_CONNECTIONS;
    app.setErrorHandler((err, req, reply) => {
      if (err instanceof BrokerError) {
        const refusal = httpRefusal(err);
        return reply.code(refusal.statusCode).send(refusal.body);
      }
      const status = (err as { statusCode?: number }).statusCode;
      if (status !== undefined && status >= 400 && status < 500) return reply.code(status).send({ error: (err as Error).message });
      opts.log.error({ err, url: req.url }, 'admin request failed');
      return reply.code(500).send({ error: (err as Error).message });
    });
    app.setNotFoundHandler((req, reply) => reply.code(404).send({ error: `no such endpoint: ${req.method} ${req.url.split('?')[0]}` }));
    guardAdminAccess(app, opts.access);
    app.addHook('onRequest', async (req, reply) => {
      if (!this.services && (req.url.startsWith('/api/') || req.url.startsWith('/metrics'))) {
        await reply.code(503).send({ error: 'the gateway is starting' });
      }
    });
    app.get('/healthz', { config: { access: 'probe' } }, async () => ({ status: 'ok' }));
    app.get('/readyz', { config: { access: 'probe' } }, async (_req, reply) => {
      const reason = this.services ? this.services.notReady() : 'starting';
      if (reason !== undefined) return reply.code(503).send({ status: 'not ready', reason });
      return { status: 'ready' };
    });
    app.get('/metrics', { config: { access: 'metrics' } }, async (_req, reply) => {
      const { contentType, text } = await this.services!.metrics.exposition();
      reply.header('content-type', contentType);
      return text;
    });
    registerAdminApi(app, () => this.services!);
    registerGrpcClientApi(app, () => this.services!);
    registerOperationsApi(app, () => this.services!);
    void app.register(async (scope) => {
      markRoutes(scope, 'static');
      await scope.register(fastifyStatic, { root: DASHBOARD_DIR, prefix: '/', index: 'index.html' });
      await scope.register(fastifyStatic, { root: UPLOT_DIR, prefix: '/vendor/uplot/', decorateReply: false, allowedPath: (path) => /^\/uPlot\.(esm\.js|min\.css)$/.test(path) });
    });
  }

  serve(services: AdminServices): void {
    this.services = services;
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
