import type { GatewayConfig } from '../config.js';
import type { Logger } from '../logger.js';
import { AdminHttpServer } from '../admin/admin-http-server.js';

/**
 * The admin HTTP server, listening (health checks answered at once, the rest once served), or undefined when it is
 * off. It starts first, so an orchestrator sees the gateway alive while the store opens.
 */
export async function startAdminEndpoint(config: GatewayConfig, log: Logger): Promise<{ server: AdminHttpServer; port: number } | undefined> {
  if (config.httpPort === 0) return undefined;
  const server = new AdminHttpServer({ host: config.host, port: config.httpPort, log });
  let port: number;
  try {
    port = await server.listen();
  } catch (err) {
    throw new Error(`admin HTTP server cannot listen on ${config.host}:${config.httpPort} (${(err as Error).message}); choose another --http-port, or 0 to turn it off`);
  }
  log.info({ host: config.host, port }, 'admin http listening');
  return { server, port };
}
