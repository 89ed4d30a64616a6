import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest, RouteOptions } from 'fastify';
import { BrokerError } from '../errors/broker-error.js';

/** Who may use the admin HTTP server, as the gateway was told at start. */
export interface AdminAccess {
  /** bearer token of the admin role: every endpoint */
  adminToken?: string;
  /** bearer token of the read role: GET and HEAD only */
  readToken?: string;
  /** /metrics asks for the read role too (open otherwise) */
  metricsAuth: boolean;
  /** accepted Host headers: `name` on any port, `name:port` exactly, `*` any Host at all; lower case */
  allowedHosts: string[];
}

/**
 * What a route asks of a request, set in its route config. A route that says nothing needs a token (when tokens
 * are configured), so an endpoint added later is protected without anyone remembering to.
 * - probe: /healthz and /readyz, for orchestrators whose probes name the pod's address as Host
 * - static: the dashboard's files, which hold no data
 * - metrics: /metrics, which needs the read role only with --metrics-auth
 */
export type RouteAccess = 'probe' | 'static' | 'metrics';

type Role = 'read' | 'admin';

const READS = new Set(['GET', 'HEAD']);
const BEARER = /^Bearer +([\x21-\x7e]+) *$/i;
const REALM = 'Bearer realm="rop-admin"';

/** Digests have one length whatever the tokens' lengths, so comparing them takes the same time for any guess. */
const digest = (secret: string): Buffer => createHash('sha256').update(secret, 'utf8').digest();

/** Marks every route registered in `scope` (and the plugins it registers) with `access`. */
export function markRoutes(scope: FastifyInstance, access: RouteAccess): void {
  scope.addHook('onRoute', (route: RouteOptions) => {
    route.config = { ...(route.config as object | undefined), access };
  });
}

const hostMatcher = (allowed: string[]) => {
  if (allowed.includes('*')) return () => true;
  const exact = new Set(allowed.filter((h) => /:\d+$/.test(h)));
  const anyPort = new Set(allowed.filter((h) => !/:\d+$/.test(h)));
  return (host: string | undefined): boolean => {
    if (host === undefined) return false;
    const h = host.toLowerCase();
    return exact.has(h) || anyPort.has(h.replace(/:\d+$/, ''));
  };
};

/**
 * Checks, before any route runs, that a request names this server as its Host (a page whose name was rebound to
 * this address names its own, so it learns nothing) and carries the token its route and method need: the read
 * role may GET, the admin role may do anything. Without tokens configured only the Host is checked.
 */
export function guardAdminAccess(app: FastifyInstance, access: AdminAccess): void {
  const hostAllowed = hostMatcher(access.allowedHosts);
  const tokens = [
    ...(access.adminToken === undefined ? [] : [{ role: 'admin' as Role, digest: digest(access.adminToken) }]),
    ...(access.readToken === undefined ? [] : [{ role: 'read' as Role, digest: digest(access.readToken) }]),
  ];
  const roleOf = (header: string | undefined): Role | undefined => {
    const token = header === undefined ? undefined : BEARER.exec(header)?.[1];
    if (token === undefined) return undefined;
    const given = digest(token);
    // every token is compared, so the time taken does not say which one matched
    let role: Role | undefined;
    for (const t of tokens) if (timingSafeEqual(given, t.digest) && role === undefined) role = t.role;
    return role;
  };

  app.addHook('onRequest', async (req: FastifyRequest, reply: FastifyReply) => {
    const routeAccess = (req.routeOptions.config as { access?: RouteAccess } | undefined)?.access;
    if (routeAccess === 'probe') return;
    if (!hostAllowed(req.headers.host)) {
      return reply.code(421).send({ error: `this admin server does not answer for Host ${JSON.stringify(req.headers.host ?? '')}; add the name it is reached by to --admin-allowed-hosts` });
    }
    // the static files' catch-all route also answers unknown /api paths: those ask for a token like the rest of /api
    const dashboardFile = routeAccess === 'static' && !req.url.startsWith('/api/');
    if (tokens.length === 0 || dashboardFile || (routeAccess === 'metrics' && !access.metricsAuth)) return;
    const role = roleOf(req.headers.authorization);
    if (role === undefined) {
      const given = req.headers.authorization !== undefined;
      reply.header('www-authenticate', given ? `${REALM}, error="invalid_token"` : REALM);
      throw new BrokerError('unauthorized', given ? 'the bearer token is not valid' : 'this endpoint needs "Authorization: Bearer <token>"');
    }
    if (role === 'read' && !READS.has(req.method)) {
      reply.header('www-authenticate', `${REALM}, error="insufficient_scope"`);
      throw new BrokerError('forbidden', `the read-only token may not ${req.method} ${req.url.split('?')[0]}; use the admin token`);
    }
  });
}
