import type { GatewayConfig } from '../config.js';
import type { Logger } from '../logger.js';
import { AdminHttpServer } from '../admin/admin-http-server.js';
import { exposureProblem, hasToken, isLoopback, resolveAdminAccess } from '../admin/admin-access-config.js';

/**
 * The admin HTTP server, listening (health checks answered at once, the rest once served), or undefined when it is
 * off. It starts first, so an orchestrator sees the gateway alive while the store opens. It refuses to listen
 * beyond loopback without a token unless told --admin-insecure (the CLI says so before; a library caller here).
 */
export async function startAdminEndpoint(config: GatewayConfig, log: Logger): Promise<{ server: AdminHttpServer; port: number } | undefined> {
  if (config.httpPort === 0) return undefined;
  const problem = exposureProblem(config.host, config.httpPort, config.adminAuth);
  if (problem !== undefined) throw new Error(problem);
  const access = resolveAdminAccess(config.adminAuth, config.host, config.advertisedAddress, config.httpPort);
  const server = new AdminHttpServer({ host: config.host, port: config.httpPort, log, access });
  let port: number;
  try {
    port = await server.listen();
  } catch (err) {
    throw new Error(`admin HTTP server cannot listen on ${config.host}:${config.httpPort} (${(err as Error).message}); choose another --http-port, or 0 to turn it off`);
  }
  if (!isLoopback(config.host) && !hasToken(config.adminAuth)) {
    log.warn({ host: config.host, port }, 'admin http is open to anyone who can reach it: --admin-insecure was given and no --admin-token');
  }
  const roles = [config.adminAuth.adminToken && 'admin', config.adminAuth.readToken && 'read'].filter(Boolean);
  log.info({ host: config.host, port, tokenRoles: roles, metricsAuth: access.metricsAuth, allowedHosts: access.allowedHosts }, 'admin http listening');
  return { server, port };
}
